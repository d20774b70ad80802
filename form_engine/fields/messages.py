# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""User-facing messages of field coercion, record validation and the dialect's checks.

Registered in the engine catalogue at import; every code exists in English and Simplified
Chinese. Record codes name the rule in the user's terms; document codes (``doc_*``) are
for the people who build forms and may name JSON keywords.
"""

from __future__ import annotations

from form_engine.messages import register_messages

RECORD_MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "This field is required.", "zh-CN": "此项为必填项。"},
    "must_be_ticked": {"en": "Tick this box to continue.", "zh-CN": "请勾选此项。"},
    "too_long": {"en": "Use at most {max} characters.", "zh-CN": "最多可输入 {max} 个字符。"},
    "too_short": {"en": "Use at least {min} characters.", "zh-CN": "至少需要输入 {min} 个字符。"},
    "not_text": {"en": "Enter text.", "zh-CN": "请输入文本。"},
    "control_characters": {
        "en": "Remove the invisible control characters from this text.",
        "zh-CN": "请删除文本中的不可见控制字符。",
    },
    "bad_pattern": {
        "en": "This value does not have the format this field asks for.",
        "zh-CN": "格式不符合此项的要求。",
    },
    "not_a_number": {"en": "Enter a number, such as 1234.5.", "zh-CN": "请输入数字，例如 1234.5。"},
    "not_an_integer": {"en": "Enter a whole number.", "zh-CN": "请输入整数。"},
    "number_too_large": {
        "en": "This number is too large to store.",
        "zh-CN": "数值过大，无法保存。",
    },
    "below_minimum": {"en": "Enter {min} or more.", "zh-CN": "不能小于 {min}。"},
    "above_maximum": {"en": "Enter {max} or less.", "zh-CN": "不能大于 {max}。"},
    "too_many_decimals": {
        "en": "Use at most {places} decimal places.",
        "zh-CN": "最多保留 {places} 位小数。",
    },
    "rating_out_of_range": {
        "en": "Choose a rating from 1 to {max}.",
        "zh-CN": "请选择 1 到 {max} 之间的评分。",
    },
    "nps_out_of_range": {
        "en": "Choose a score from 0 to 10.",
        "zh-CN": "请选择 0 到 10 之间的分数。",
    },
    "bad_date": {
        "en": "Enter a date like 2026-11-24.",
        "zh-CN": "请输入有效日期，例如 2026-11-24。",
    },
    "bad_datetime": {
        "en": "Enter a date and time like 2026-11-24 14:30.",
        "zh-CN": "请输入有效的日期和时间，例如 2026-11-24 14:30。",
    },
    "not_an_option": {
        "en": "“{value}” is not one of the options.",
        "zh-CN": "“{value}”不在可选项中。",
    },
    "one_value_only": {"en": "Enter only one value.", "zh-CN": "此项只能填写一个值。"},
    "not_a_boolean": {"en": "Answer yes or no.", "zh-CN": "请填写“是”或“否”。"},
    "not_a_list": {"en": "Enter a list of values.", "zh-CN": "请填写一个或多个值。"},
    "not_unique_items": {
        "en": "Each value may appear only once.",
        "zh-CN": "不能包含重复的值。",
    },
    "too_many_items": {"en": "Choose at most {max}.", "zh-CN": "最多选择 {max} 项。"},
    "too_few_items": {"en": "Choose at least {min}.", "zh-CN": "至少选择 {min} 项。"},
    "bad_email": {
        "en": "Enter an email address like name@example.com.",
        "zh-CN": "请输入有效的邮箱地址，例如 name@example.com。",
    },
    "bad_phone_cn": {
        "en": "Enter a mainland China mobile number (11 digits starting with 1) or a "
        "landline like 010-12345678.",
        "zh-CN": "请输入中国大陆手机号（以 1 开头的 11 位数字）或固定电话，例如 010-12345678。",
    },
    "bad_phone_intl": {
        "en": "Enter an international number: + then the country code and number, "
        "e.g. +44 20 7946 0958.",
        "zh-CN": "请输入国际号码：以 + 开头，后接国家代码和号码，例如 +44 20 7946 0958。",
    },
    "bad_url": {
        "en": "Enter a web address starting with http:// or https://.",
        "zh-CN": "请输入以 http:// 或 https:// 开头的网址。",
    },
    "bad_address": {
        "en": "Enter the address as province, city, district and street.",
        "zh-CN": "请按省份、城市、区县和详细地址填写地址。",
    },
    "address_needs_province": {
        "en": "Choose the province of this address.",
        "zh-CN": "请选择地址所在的省份。",
    },
    "bad_member": {"en": "Choose a member of the workspace.", "zh-CN": "请选择工作区成员。"},
    "bad_link": {"en": "Choose a linked record.", "zh-CN": "请选择关联记录。"},
    "bad_rows": {
        "en": "Enter the rows of this subform as a list.",
        "zh-CN": "子表单数据格式不正确，应为多行数据。",
    },
    "bad_attachment": {
        "en": "This attachment is not valid; upload the file again.",
        "zh-CN": "附件无效，请重新上传。",
    },
    "not_importable": {
        "en": "This field cannot be imported from a spreadsheet; leave the cell empty.",
        "zh-CN": "此字段无法从表格导入，请将该单元格留空。",
    },
    "read_only": {
        "en": "This field is calculated automatically and cannot be entered.",
        "zh-CN": "此字段由系统自动计算，无法填写。",
    },
    "unknown_field": {"en": "There is no field “{key}”.", "zh-CN": "不存在字段“{key}”。"},
    "unknown_field_suggestion": {
        "en": "There is no field “{key}” — did you mean “{suggestion}”?",
        "zh-CN": "不存在字段“{key}”，您是不是要填写“{suggestion}”？",
    },
    "not_a_record": {
        "en": "Send the record as a JSON object of field values.",
        "zh-CN": "数据格式不正确，应为由字段值组成的 JSON 对象。",
    },
    "invalid": {"en": "This value is not valid.", "zh-CN": "此项的值无效。"},
}

DOCUMENT_MESSAGES: dict[str, dict[str, str]] = {
    "doc_missing": {"en": "“{name}” is missing.", "zh-CN": "缺少“{name}”。"},
    "doc_expected_object": {
        "en": "“{name}” must be an object.",
        "zh-CN": "“{name}”必须是对象。",
    },
    "doc_expected_array": {"en": "“{name}” must be a list.", "zh-CN": "“{name}”必须是列表。"},
    "doc_expected_string": {"en": "“{name}” must be text.", "zh-CN": "“{name}”必须是文本。"},
    "doc_expected_integer": {
        "en": "“{name}” must be a whole number.",
        "zh-CN": "“{name}”必须是整数。",
    },
    "doc_expected_number": {"en": "“{name}” must be a number.", "zh-CN": "“{name}”必须是数字。"},
    "doc_expected_boolean": {
        "en": "“{name}” must be true or false.",
        "zh-CN": "“{name}”必须是 true 或 false。",
    },
    "doc_bad_value": {
        "en": "“{name}” has a value that is not allowed here.",
        "zh-CN": "“{name}”的取值在此处不被允许。",
    },
    "doc_unknown_keyword": {
        "en": "Unknown setting “{name}”.",
        "zh-CN": "未知的设置项“{name}”。",
    },
    "doc_unknown_keyword_suggestion": {
        "en": "Unknown setting “{name}” — did you mean “{suggestion}”?",
        "zh-CN": "未知的设置项“{name}”，您是不是要用“{suggestion}”？",
    },
    "doc_bad_key": {
        "en": "Field key “{key}” must start with a lowercase letter and use only a–z, 0–9 "
        "and _ (at most 63 characters).",
        "zh-CN": "字段标识“{key}”必须以小写字母开头，只能包含 a–z、0–9 和下划线，最长 63 个字符。",
    },
    "doc_order_missing": {
        "en": "Field “{key}” is missing from the display order.",
        "zh-CN": "字段“{key}”不在显示顺序中。",
    },
    "doc_order_unknown": {
        "en": "The display order lists “{key}”, which is not a field of this form.",
        "zh-CN": "显示顺序中的“{key}”不是本表单的字段。",
    },
    "doc_order_duplicate": {
        "en": "The display order lists “{key}” more than once.",
        "zh-CN": "显示顺序中“{key}”出现了多次。",
    },
    "doc_required_unknown": {
        "en": "“{key}” is marked required but is not a field of this form.",
        "zh-CN": "“{key}”被设为必填，但本表单中没有这个字段。",
    },
    "doc_required_duplicate": {
        "en": "“{key}” is listed as required more than once.",
        "zh-CN": "“{key}”在必填列表中出现了多次。",
    },
    "doc_required_layout": {
        "en": "Layout item “{key}” cannot be required.",
        "zh-CN": "布局元素“{key}”不能设为必填。",
    },
    "doc_required_computed": {
        "en": "Calculated field “{key}” cannot be required.",
        "zh-CN": "自动计算的字段“{key}”不能设为必填。",
    },
    "doc_unknown_field_type": {
        "en": "Field “{key}”: unknown field type “{type}”.",
        "zh-CN": "字段“{key}”：未知的字段类型“{type}”。",
    },
    "doc_unknown_field_type_suggestion": {
        "en": "Field “{key}”: unknown field type “{type}” — did you mean “{suggestion}”?",
        "zh-CN": "字段“{key}”：未知的字段类型“{type}”，您是不是要用“{suggestion}”？",
    },
    "doc_archived_reused": {
        "en": "Key “{key}” belonged to a removed field; choose another key so its old data "
        "stays apart.",
        "zh-CN": "标识“{key}”曾属于已删除的字段，请换一个标识，以免与历史数据混淆。",
    },
    "doc_alias_taken": {
        "en": "Alias “{alias}” of field “{key}” is already used by another field.",
        "zh-CN": "字段“{key}”的别名“{alias}”已被其他字段使用。",
    },
    "doc_keyword_missing": {
        "en": "Field “{key}” lacks the setting “{keyword}”.",
        "zh-CN": "字段“{key}”缺少“{keyword}”设置。",
    },
    "doc_keyword_mismatch": {
        "en": "Field “{key}”: “{keyword}” must be {expected} for this field type.",
        "zh-CN": "字段“{key}”：此字段类型的“{keyword}”必须为 {expected}。",
    },
    "doc_no_options": {
        "en": "Choice field “{key}” needs at least one option.",
        "zh-CN": "选项字段“{key}”至少需要一个选项。",
    },
    "doc_option_not_text": {
        "en": "Field “{key}”: every option must be text.",
        "zh-CN": "字段“{key}”：每个选项都必须是文本。",
    },
    "doc_option_duplicate": {
        "en": "Field “{key}” lists the option “{value}” twice.",
        "zh-CN": "字段“{key}”的选项“{value}”重复了。",
    },
    "doc_option_unknown": {
        "en": "Field “{key}” sets a title or colour for “{value}”, which is not an option.",
        "zh-CN": "字段“{key}”为不存在的选项“{value}”设置了名称或颜色。",
    },
    "doc_bad_color": {
        "en": "Field “{key}”: the colour “{value}” must look like #1a2b3c.",
        "zh-CN": "字段“{key}”：颜色“{value}”应为 #1a2b3c 这样的格式。",
    },
    "doc_rating_max": {
        "en": "Rating field “{key}” must have a maximum between 1 and 10.",
        "zh-CN": "评分字段“{key}”的最高分必须在 1 到 10 之间。",
    },
    "doc_min_above_max": {
        "en": "Field “{key}”: the minimum is larger than the maximum.",
        "zh-CN": "字段“{key}”：最小值大于最大值。",
    },
    "doc_nested_subform": {
        "en": "Subform “{key}” cannot contain another subform.",
        "zh-CN": "子表单“{key}”中不能再包含子表单。",
    },
    "doc_bad_regex": {
        "en": "Field “{key}”: the pattern is not a valid regular expression.",
        "zh-CN": "字段“{key}”：格式规则不是有效的正则表达式。",
    },
    "doc_lookup_not_a_link": {
        "en": "Lookup “{key}” reads through “{link}”, which is not a link field of this form.",
        "zh-CN": "引用字段“{key}”所依据的“{link}”不是本表单的关联字段。",
    },
    "doc_bad_default": {
        "en": "Field “{key}”: the default value does not fit the field.",
        "zh-CN": "字段“{key}”：默认值不符合此字段的要求。",
    },
}

register_messages(RECORD_MESSAGES)
register_messages(DOCUMENT_MESSAGES)
