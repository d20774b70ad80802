# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Checks of what automations say about tier schemes: the ``tier_changed`` trigger's
``scheme`` and ``to``, and the ``recompute_tiers`` action's ``scheme``.

With a catalog that lists the workspace's schemes (``Catalog.tier_schemes``), an unknown
scheme or tier is refused with "did you mean"; without one only the shapes are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from form_engine.messages import register_messages
from workflow_engine.checks import Checker, Path, suggest
from workflow_engine.model import TierShape

register_messages(
    {
        "automation_unknown_scheme": {
            "en": "There is no tier scheme “{name}” (at {where}).",
            "zh-CN": "分层方案“{name}”不存在（位置：{where}）。",
        },
        "automation_unknown_scheme_hint": {
            "en": "There is no tier scheme “{name}” (at {where}) — did you mean “{suggestion}”?",
            "zh-CN": "分层方案“{name}”不存在（位置：{where}），您是想用“{suggestion}”吗？",
        },
        "automation_scheme_other_form": {
            "en": "The tier scheme “{name}” at {where} tiers the form “{scheme_form}”, not "
            "“{form}”.",
            "zh-CN": "{where} 处的分层方案“{name}”用于表单“{scheme_form}”，而不是“{form}”。",
        },
        "automation_unknown_tier": {
            "en": "“{name}” at {where} is not a tier of the scheme “{scheme}”.",
            "zh-CN": "{where} 处的“{name}”不是分层方案“{scheme}”中的等级。",
        },
        "automation_unknown_tier_hint": {
            "en": "“{name}” at {where} is not a tier of the scheme “{scheme}” — did you mean "
            "“{suggestion}”?",
            "zh-CN": "{where} 处的“{name}”不是分层方案“{scheme}”中的等级，"
            "您是想用“{suggestion}”吗？",
        },
        "automation_scheme_not_recomputable": {
            "en": "“{name}” at {where} is the built-in churn status, kept current with the "
            "customer figures; choose a tier scheme to recompute.",
            "zh-CN": "{where} 处的“{name}”是内置的流失状态，会随客户指标自动更新；"
            "请选择要重新计算的分层方案。",
        },
    }
)


def _scheme(checker: Checker, name: str | None, path: Path) -> TierShape | None:
    catalog = checker.scope.catalog
    schemes = catalog.tier_schemes if catalog is not None else None
    if name is None or schemes is None:
        return None
    shape = schemes.get(name)
    if shape is None:
        checker.add_hinted("automation_unknown_scheme", path, name, schemes)
    return shape


def check_tier_trigger(checker: Checker, trigger: Mapping[str, Any], path: Path) -> None:
    """``scheme``: a scheme of the workspace tiering the trigger's form; ``to``: one of its
    tiers (both optional: any scheme, any tier)."""
    name = checker.text(trigger, "scheme", path, max_len=64)
    to = checker.text(trigger, "to", path, max_len=64)
    shape = _scheme(checker, name, (*path, "scheme"))
    if shape is None:
        return
    form = checker.scope.form_key
    if shape.form is not None and form is not None and shape.form != form:
        checker.add(
            "automation_scheme_other_form",
            (*path, "scheme"),
            name=name,
            scheme_form=shape.form,
            form=form,
        )
    if to is not None and to not in shape.tiers:
        spot = (*path, "to")
        hint = suggest(to, shape.tiers)
        code = "automation_unknown_tier_hint" if hint else "automation_unknown_tier"
        checker.add(code, spot, suggestion=hint, name=to[:50], scheme=name)


def check_recompute(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    """``scheme``: a scheme of the workspace that the action can apply."""
    name = checker.text(action, "scheme", path, max_len=64)
    shape = _scheme(checker, name, (*path, "scheme"))
    if shape is not None and not shape.recomputable:
        checker.add("automation_scheme_not_recomputable", (*path, "scheme"), name=name)
