# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""The CLV models' refusals: their messages (en, zh-CN), the error classes, and the
checks every model input goes through (finite, not negative, consistent summaries)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from form_engine.messages import register_messages, render

Floats = npt.NDArray[np.float64]

register_messages(
    {
        "clv_shape": {
            "en": "“{field}” has {count} values but “{other}” has {other_count}.",
            "zh-CN": "“{field}”有 {count} 个值，而“{other}”有 {other_count} 个。",
        },
        "clv_not_finite": {
            "en": "“{field}” of customer #{index} is not a finite number.",
            "zh-CN": "第 {index} 位客户的“{field}”不是有效的有限数值。",
        },
        "clv_negative": {
            "en": "“{field}” of customer #{index} is negative ({value}).",
            "zh-CN": "第 {index} 位客户的“{field}”为负数（{value}）。",
        },
        "clv_not_whole": {
            "en": "“frequency” of customer #{index} is not a whole number ({value}).",
            "zh-CN": "第 {index} 位客户的“frequency”不是整数（{value}）。",
        },
        "clv_recency_after_age": {
            "en": "“recency” of customer #{index} ({recency}) is larger than “T” ({age}).",
            "zh-CN": "第 {index} 位客户的“recency”（{recency}）大于“T”（{age}）。",
        },
        "clv_recency_without_repeat": {
            "en": "Customer #{index} has no repeat purchase but a “recency” of {recency}.",
            "zh-CN": "第 {index} 位客户没有复购，但“recency”为 {recency}。",
        },
        "clv_too_few_customers": {
            "en": "The model needs at least {minimum} customers; there are {count}.",
            "zh-CN": "模型至少需要 {minimum} 位客户，当前只有 {count} 位。",
        },
        "clv_too_few_repeat": {
            "en": "The model needs at least {minimum} customers who bought again; there are "
            "{count}.",
            "zh-CN": "模型至少需要 {minimum} 位有复购的客户，当前只有 {count} 位。",
        },
        "clv_no_elapsed_time": {
            "en": "Every customer's first purchase is on the last day observed (all “T” are "
            "0): there is no history to learn from.",
            "zh-CN": "所有客户的首次购买都在观察期最后一天（“T”均为 0），没有可供学习的历史。",
        },
        "clv_not_converged": {
            "en": "The {model} fit did not converge ({reason}); the data may be too small or "
            "too irregular for the model.",
            "zh-CN": "{model} 模型拟合未能收敛（{reason}），数据可能太少或过于不规则。",
        },
        "clv_runaway": {
            "en": "The {model} fit is degenerate: parameter “{parameter}” ran off to {value:.3g}; "
            "the data does not identify the model.",
            "zh-CN": "{model} 模型拟合退化：参数“{parameter}”趋于 {value:.3g}，"
            "数据不足以确定模型。",
        },
        "clv_spend_heavy_tail": {
            "en": "The Gamma-Gamma fit gives q = {q:.3g} ≤ 1, so average spend has no finite "
            "mean; spend is too uneven for the model.",
            "zh-CN": "Gamma-Gamma 拟合得到 q = {q:.3g} ≤ 1，平均消费没有有限均值，"
            "消费金额过于悬殊，不适用该模型。",
        },
        "clv_bad_option": {
            "en": "“{field}” must be {expected} (it is {value}).",
            "zh-CN": "“{field}”必须{expected}（当前为 {value}）。",
        },
        "clv_expected_horizon": {
            "en": "a number of days above 0 and at most 36525 (100 years)",
            "zh-CN": "为大于 0 且不超过 36525（100 年）的天数",
        },
        "clv_expected_step": {
            "en": "long enough for at most 10000 steps over the horizon",
            "zh-CN": "足够长，使整个预测期不超过 10000 步",
        },
        "clv_expected_rate": {"en": "a number ≥ 0", "zh-CN": "为不小于 0 的数"},
        "clv_expected_unit": {"en": "“days” or “weeks”", "zh-CN": "为“days”或“weeks”"},
    }
)


class ClvError(Exception):
    """Root of the CLV errors: a registered message ``code`` and its ``params``.

    Attributes:
        code: The message code (``clv_too_few_customers`` …).
        params: Values for the message; ``field`` names the input concerned, if any.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message_in("en"))

    @property
    def field(self) -> str | None:
        """The input the problem concerns (``frequency``, ``amount`` …), if any."""
        value = self.params.get("field")
        return None if value is None else str(value)

    def message_in(self, locale: str | None) -> str:
        """The message in ``locale`` (``en``, ``zh-CN``; others fall back to English)."""
        shown = dict(self.params)
        if "expected" in shown:
            shown["expected"] = render(f"clv_expected_{shown['expected']}", locale)
        return render(self.code, locale, **shown)


class ClvRefused(ClvError):
    """The data is too little or too degenerate for the model; nothing was fitted."""


def as_floats(values: npt.ArrayLike, field: str) -> Floats:
    """``values`` as a 1-d float array, refused when not finite or negative."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ClvRefused("clv_not_finite", field=field, index=int(bad[0]) + 1)
    negative = np.flatnonzero(array < 0)
    if negative.size:
        at = int(negative[0])
        raise ClvRefused("clv_negative", field=field, index=at + 1, value=float(array[at]))
    return array


def same_length(**arrays: Floats) -> None:
    """Refuse arrays whose lengths differ from the first one's."""
    (first, reference), *rest = arrays.items()
    for name, array in rest:
        if array.shape != reference.shape:
            raise ClvRefused(
                "clv_shape", field=name, count=array.size, other=first, other_count=reference.size
            )


def check_summary(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[Floats, Floats, Floats]:
    """Frequency, recency and T as float arrays, refused unless they make a summary."""
    x = as_floats(frequency, "frequency")
    tx = as_floats(recency, "recency")
    age = as_floats(T, "T")
    same_length(frequency=x, recency=tx, T=age)
    fractional = np.flatnonzero(x != np.round(x))
    if fractional.size:
        at = int(fractional[0])
        raise ClvRefused("clv_not_whole", field="frequency", index=at + 1, value=float(x[at]))
    # A hair of slack: recency and T come from the same day counts divided by 7.
    late = np.flatnonzero(tx > age * (1 + 1e-9))
    if late.size:
        at = int(late[0])
        raise ClvRefused(
            "clv_recency_after_age",
            field="recency",
            index=at + 1,
            recency=float(tx[at]),
            age=float(age[at]),
        )
    lonely = np.flatnonzero((x == 0) & (tx > 0))
    if lonely.size:
        at = int(lonely[0])
        raise ClvRefused(
            "clv_recency_without_repeat", field="recency", index=at + 1, recency=float(tx[at])
        )
    return x, np.minimum(tx, age), age


def enough(customers: int, repeat: int, min_customers: int, min_repeat: int) -> None:
    """Refuse too few customers, or too few of them with a repeat purchase."""
    if customers < min_customers:
        raise ClvRefused("clv_too_few_customers", minimum=min_customers, count=customers)
    if repeat < min_repeat:
        raise ClvRefused("clv_too_few_repeat", minimum=min_repeat, count=repeat)
