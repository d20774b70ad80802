# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""The messages of tier scheme checks (codes ``tier_*``), in English and Chinese.

Registered in the engines' shared catalogue, so that condition, crontab and tier problems
are all rendered the same way (``render(code, locale, **params)``).
"""

from __future__ import annotations

from form_engine.messages import register_messages

register_messages(
    {
        "tier_not_object": {
            "en": "The tier scheme must be a JSON object with “tiers” and “fallback”.",
            "zh-CN": "分层方案必须是包含“tiers”和“fallback”的 JSON 对象。",
        },
        "tier_too_large": {
            "en": "The tier scheme is too large to save.",
            "zh-CN": "分层方案过大，无法保存。",
        },
        "tier_bad_version": {
            "en": "The format version must be a whole number from 1 to {current}.",
            "zh-CN": "格式版本必须是 1 到 {current} 之间的整数。",
        },
        "tier_unknown_key": {
            "en": "Unknown setting “{name}” at {where}.",
            "zh-CN": "{where} 处的设置“{name}”无法识别。",
        },
        "tier_unknown_key_hint": {
            "en": "Unknown setting “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的设置“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "tier_missing": {
            "en": "“{name}” is required at {where}.",
            "zh-CN": "{where} 处缺少必填项“{name}”。",
        },
        "tier_not_list": {
            "en": "The tiers must be a list.",
            "zh-CN": "分层列表格式不正确。",
        },
        "tier_count": {
            "en": "A scheme has 1 to {max} tiers besides the fallback (this one has {count}).",
            "zh-CN": "除兜底等级外，一个方案需要 1 到 {max} 个等级（当前为 {count} 个）。",
        },
        "tier_entry_not_object": {
            "en": "Each tier must be an object with a key, a name, a colour and a condition.",
            "zh-CN": "每个等级都必须包含标识、名称、颜色和条件。",
        },
        "tier_key_bad": {
            "en": "Give the tier a key of 1 to {max} characters, without line breaks or "
            "spaces at either end.",
            "zh-CN": "请为等级填写 1 到 {max} 个字符的标识，不能含换行，首尾不能有空格。",
        },
        "tier_key_duplicate": {
            "en": "The key “{key}” is already used by another tier of this scheme.",
            "zh-CN": "标识“{key}”已被本方案的其他等级使用。",
        },
        "tier_name_bad": {
            "en": "The name must give an English and/or a Chinese text.",
            "zh-CN": "名称需要填写英文和/或中文。",
        },
        "tier_name_missing": {
            "en": "Give the tier a name in English or in Chinese.",
            "zh-CN": "请填写等级的中文或英文名称。",
        },
        "tier_name_too_long": {
            "en": "Use at most {max} characters.",
            "zh-CN": "最多 {max} 个字符。",
        },
        "tier_color_bad": {
            "en": "“{value}” is not a colour: use #rrggbb, e.g. #2f80ed.",
            "zh-CN": "“{value}”不是有效的颜色：请使用 #rrggbb 格式，例如 #2f80ed。",
        },
        "tier_condition_missing": {
            "en": "Give the tier a condition: customers who meet it get this tier.",
            "zh-CN": "请为等级设置条件：满足条件的客户将归入该等级。",
        },
        "tier_form_missing": {
            "en": "Choose a published form whose records get the tiers.",
            "zh-CN": "请选择一个已发布的表单，其数据将被分层。",
        },
        "tier_field_missing": {
            "en": "Choose the field that holds the tier.",
            "zh-CN": "请选择存放客户等级的字段。",
        },
        "tier_field_unknown": {
            "en": "The form has no field “{name}”.",
            "zh-CN": "表单中没有字段“{name}”。",
        },
        "tier_field_unknown_hint": {
            "en": "The form has no field “{name}” — did you mean “{suggestion}”?",
            "zh-CN": "表单中没有字段“{name}”，您是想用“{suggestion}”吗？",
        },
        "tier_field_type": {
            "en": "“{name}” is a {type} field; tiers are written into a text or single-choice "
            "field.",
            "zh-CN": "“{name}”是{type}字段；客户等级只能写入文本或单选字段。",
        },
        "tier_field_options": {
            "en": "The options of “{name}” lack the tier keys {keys}: add them as options, "
            "or use the options' values as keys.",
            "zh-CN": "字段“{name}”的选项中缺少等级标识 {keys}：请将其添加为选项，"
            "或使用选项值作为标识。",
        },
        "tier_field_too_short": {
            "en": "“{name}” holds at most {max} characters, but the tier key “{key}” is longer.",
            "zh-CN": "字段“{name}”最多容纳 {max} 个字符，而等级标识“{key}”更长。",
        },
        "tier_schedule_bad": {
            "en": "The schedule must be a crontab line, e.g. “30 2 * * *”, or empty.",
            "zh-CN": "定时规则必须是 crontab 格式，例如“30 2 * * *”，或留空。",
        },
        "tier_scheme_key_bad": {
            "en": "The scheme key uses lowercase letters, digits and _ (at most {max}), "
            "starting with a letter.",
            "zh-CN": "方案标识只能使用小写字母、数字和下划线（最多 {max} 个字符），并以字母开头。",
        },
        "tier_scheme_key_taken": {
            "en": "Another tier scheme of this workspace already uses the key “{key}”.",
            "zh-CN": "本工作区的其他分层方案已使用标识“{key}”。",
        },
        "tier_scheme_key_reserved": {
            "en": "“{key}” is the built-in churn status; choose another key.",
            "zh-CN": "“{key}”是内置的流失状态，请换一个标识。",
        },
        "tier_scheme_key_fixed": {
            "en": "The key of a saved scheme cannot change: history and automations refer to it.",
            "zh-CN": "已保存方案的标识不能修改：历史记录和自动化都引用了它。",
        },
        "tier_scheme_name_missing": {
            "en": "Give the scheme a name.",
            "zh-CN": "请填写方案名称。",
        },
    }
)
