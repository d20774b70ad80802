# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""The workflow engine's messages for documents and templates, in en and zh-CN.

Codes start with ``automation_`` (the automation document), ``template_`` (templates)
and ``run_`` (runs, registered in ``workflow_engine.runs``). Summaries of planned
actions live in ``workflow_engine.summaries``.
"""

from __future__ import annotations

from form_engine.messages import register_messages

register_messages(
    {
        # -- the document ------------------------------------------------------------
        "automation_not_object": {
            "en": "Expected an object at {where}.",
            "zh-CN": "{where} 处应为对象。",
        },
        "automation_version_missing": {
            "en": "The automation has no format version (an integer “version”).",
            "zh-CN": "自动化缺少格式版本（整数 “version”）。",
        },
        "automation_version_newer": {
            "en": "The automation's format version {version} is newer than this Formwork "
            "understands ({current}); upgrade Formwork to read it.",
            "zh-CN": "自动化的格式版本 {version} 高于当前 Formwork 支持的版本（{current}），"
            "请升级 Formwork 后再读取。",
        },
        "automation_version_unknown": {
            "en": "Format version {version} is not a known automation format (the oldest is "
            "{first}).",
            "zh-CN": "格式版本 {version} 不是已知的自动化格式（最早为 {first}）。",
        },
        "automation_unknown_key": {
            "en": "Unknown key “{name}” at {where}.",
            "zh-CN": "{where} 处的键“{name}”无法识别。",
        },
        "automation_unknown_key_hint": {
            "en": "Unknown key “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的键“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "automation_missing_key": {
            "en": "“{name}” is required at {where}.",
            "zh-CN": "{where} 处缺少必填项“{name}”。",
        },
        "automation_wrong_type": {
            "en": "Expected {expected_kind} at {where}.",
            "zh-CN": "{where} 处应为{expected_kind}。",
        },
        "automation_out_of_range": {
            "en": "{where} must be between {min} and {max} (it is {value}).",
            "zh-CN": "{where} 的值必须在 {min} 到 {max} 之间（当前为 {value}）。",
        },
        "automation_too_long": {
            "en": "The text at {where} is longer than {max} characters.",
            "zh-CN": "{where} 处的文本超过 {max} 个字符。",
        },
        "automation_empty": {
            "en": "{where} must not be empty.",
            "zh-CN": "{where} 不能为空。",
        },
        "automation_too_many": {
            "en": "{where} has more than {max} entries.",
            "zh-CN": "{where} 的条目超过 {max} 个。",
        },
        "automation_bad_field_key": {
            "en": "“{name}” at {where} is not a field key (lowercase letters, digits and _).",
            "zh-CN": "{where} 处的“{name}”不是有效的字段标识（仅限小写字母、数字和下划线）。",
        },
        "automation_bad_time": {
            "en": "“{value}” at {where} is not a time of day (HH:MM, 00:00 to 23:59).",
            "zh-CN": "{where} 处的“{value}”不是有效的时间（HH:MM，00:00 至 23:59）。",
        },
        "automation_too_deep": {
            "en": "The value at {where} is nested more than {max} levels deep.",
            "zh-CN": "{where} 处的值嵌套超过 {max} 层。",
        },
        "automation_kind_text": {"en": "text", "zh-CN": "文本"},
        "automation_kind_integer": {"en": "a whole number", "zh-CN": "整数"},
        "automation_kind_boolean": {"en": "true or false", "zh-CN": "true 或 false"},
        "automation_kind_object": {"en": "an object", "zh-CN": "对象"},
        "automation_kind_list": {"en": "a list", "zh-CN": "列表"},
        "automation_kind_value": {
            "en": "text, a number, true/false, null, a list or an object",
            "zh-CN": "文本、数字、true/false、null、列表或对象",
        },
        # -- the trigger -------------------------------------------------------------
        "automation_unknown_trigger": {
            "en": "Unknown trigger “{name}” at {where}.",
            "zh-CN": "{where} 处的触发条件“{name}”无法识别。",
        },
        "automation_unknown_trigger_hint": {
            "en": "Unknown trigger “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的触发条件“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "automation_unknown_form": {
            "en": "There is no form “{name}” (at {where}).",
            "zh-CN": "表单“{name}”不存在（位置：{where}）。",
        },
        "automation_unknown_form_hint": {
            "en": "There is no form “{name}” (at {where}) — did you mean “{suggestion}”?",
            "zh-CN": "表单“{name}”不存在（位置：{where}），您是想用“{suggestion}”吗？",
        },
        "automation_unknown_field": {
            "en": "The form “{form}” has no field “{name}” (at {where}).",
            "zh-CN": "表单“{form}”中没有字段“{name}”（位置：{where}）。",
        },
        "automation_unknown_field_hint": {
            "en": "The form “{form}” has no field “{name}” (at {where}) — did you mean "
            "“{suggestion}”?",
            "zh-CN": "表单“{form}”中没有字段“{name}”（位置：{where}），您是想用“{suggestion}”吗？",
        },
        "automation_not_date_field": {
            "en": "The field “{name}” at {where} holds no date: pick a date or date-time field.",
            "zh-CN": "{where} 处的字段“{name}”不是日期：请选择日期或日期时间字段。",
        },
        "automation_not_tags_field": {
            "en": "The field “{name}” at {where} is not a tags field.",
            "zh-CN": "{where} 处的字段“{name}”不是标签字段。",
        },
        "automation_not_member_field": {
            "en": "The field “{name}” at {where} is not a member field.",
            "zh-CN": "{where} 处的字段“{name}”不是成员字段。",
        },
        "automation_not_link_field": {
            "en": "The field “{name}” at {where} is not a link field.",
            "zh-CN": "{where} 处的字段“{name}”不是关联数据字段。",
        },
        "automation_link_elsewhere": {
            "en": "The link field “{name}” at {where} links to “{target}”, not to the "
            "trigger's form “{form}”.",
            "zh-CN": "{where} 处的关联数据字段“{name}”关联的是“{target}”，"
            "而不是触发条件的表单“{form}”。",
        },
        "automation_computed_field": {
            "en": "The field “{name}” at {where} is computed; it cannot be written.",
            "zh-CN": "{where} 处的字段“{name}”是计算字段，不能写入。",
        },
        "automation_bad_cron_fields": {
            "en": "“{value}” at {where} is not a schedule: use 5 fields (minute hour "
            "day month weekday), e.g. “0 9 * * mon-fri”; found {count}.",
            "zh-CN": "{where} 处的“{value}”不是有效的定时规则：需要 5 个字段"
            "（分 时 日 月 星期），例如“0 9 * * mon-fri”；现有 {count} 个。",
        },
        "automation_bad_cron_value": {
            "en": "“{value}” in the {field_kind} field of the schedule at {where} is not "
            "valid: use *, numbers from {min} to {max}, ranges a-b, steps */n or a-b/n, "
            "and lists a,b.",
            "zh-CN": "{where} 处定时规则的{field_kind}字段中的“{value}”无效："
            "请使用 *、{min} 到 {max} 的数字、范围 a-b、间隔 */n 或 a-b/n，以及列表 a,b。",
        },
        "automation_kind_minute": {"en": "minute", "zh-CN": "分钟"},
        "automation_kind_hour": {"en": "hour", "zh-CN": "小时"},
        "automation_kind_day": {"en": "day-of-month", "zh-CN": "日期"},
        "automation_kind_month": {"en": "month", "zh-CN": "月份"},
        "automation_kind_weekday": {"en": "weekday", "zh-CN": "星期"},
        # -- the condition -----------------------------------------------------------
        "automation_condition_no_record": {
            "en": "A schedule has no record to check, so it takes no condition (at {where}).",
            "zh-CN": "定时触发没有可检查的数据，因此不能设置执行条件（位置：{where}）。",
        },
        "automation_event_condition": {
            "en": "“changed” and “was” at {where} compare a record before and after a change: "
            "use them only with the triggers “record updated” and “field changed”.",
            "zh-CN": "{where} 处的“changed”和“was”比较数据修改前后的值，"
            "只能用于“数据修改”和“字段变化”这两种触发条件。",
        },
        # -- actions -----------------------------------------------------------------
        "automation_action_count": {
            "en": "An automation needs 1 to {max} actions; this one has {count}.",
            "zh-CN": "一个自动化需要 1 到 {max} 个执行动作，当前有 {count} 个。",
        },
        "automation_bad_action_id": {
            "en": "“{name}” at {where} is not a valid action id: a lowercase letter, then up "
            "to 31 lowercase letters, digits or _.",
            "zh-CN": "{where} 处的“{name}”不是有效的动作标识：以小写字母开头，"
            "后接最多 31 个小写字母、数字或下划线。",
        },
        "automation_duplicate_action_id": {
            "en": "The action id “{name}” at {where} is already used by an earlier action.",
            "zh-CN": "{where} 处的动作标识“{name}”已被前面的执行动作使用。",
        },
        "automation_unknown_action": {
            "en": "Unknown action “{name}” at {where}.",
            "zh-CN": "{where} 处的执行动作“{name}”无法识别。",
        },
        "automation_unknown_action_hint": {
            "en": "Unknown action “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的执行动作“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "automation_action_unavailable": {
            "en": "The action “{name}” at {where} is not available yet in this workspace.",
            "zh-CN": "{where} 处的执行动作“{name}”在当前工作区暂不可用。",
        },
        "automation_needs_record": {
            "en": "The action at {where} works on the trigger's record, but a schedule has no "
            "record.",
            "zh-CN": "{where} 处的执行动作需要触发数据，而定时触发没有数据。",
        },
        "automation_unknown_mode": {
            "en": "Unknown assignment mode “{name}” at {where}: use fixed, round_robin or "
            "least_loaded.",
            "zh-CN": "{where} 处的分配方式“{name}”无法识别：请使用 fixed（固定）、"
            "round_robin（轮流分配）或 least_loaded（按负载最少）。",
        },
        "automation_unknown_mode_hint": {
            "en": "Unknown assignment mode “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的分配方式“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "automation_fixed_one_member": {
            "en": "A fixed owner at {where} is exactly one member (found {count}).",
            "zh-CN": "{where} 处的固定负责人只能是一名成员（现有 {count} 名）。",
        },
        "automation_needs_members": {
            "en": "Assigning owners at {where} needs at least one member.",
            "zh-CN": "{where} 处分配负责人至少需要一名成员。",
        },
        "automation_duplicate_member": {
            "en": "User #{id} is listed twice at {where}.",
            "zh-CN": "{where} 处的用户 #{id} 重复出现。",
        },
        "automation_unknown_member": {
            "en": "User #{id} at {where} is not a member of this workspace.",
            "zh-CN": "{where} 处的用户 #{id} 不是本工作区的成员。",
        },
        "automation_unknown_person": {
            "en": "Unknown person “{name}” at {where}: use owner, actor, user, field or role.",
            "zh-CN": "{where} 处的人员类型“{name}”无法识别：请使用 owner（负责人）、"
            "actor（操作人）、user（指定成员）、field（成员字段）或 role（按角色）。",
        },
        "automation_unknown_person_hint": {
            "en": "Unknown person “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的人员类型“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "automation_unknown_role": {
            "en": "Unknown role “{name}” at {where}: use owner, admin or member (everyone with "
            "that role or a higher one).",
            "zh-CN": "{where} 处的角色“{name}”无法识别：请使用 owner（所有者）、admin（管理员）"
            "或 member（成员），表示拥有该角色或更高角色的所有人。",
        },
        "automation_unknown_role_hint": {
            "en": "Unknown role “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的角色“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "automation_viewer_role": {
            "en": "Read-only members (viewer) cannot be chosen at {where}: use owner, admin or "
            "member.",
            "zh-CN": "{where} 处不能选择只读成员（viewer）：请使用 owner（所有者）、"
            "admin（管理员）或 member（成员）。",
        },
        "automation_needs_pool": {
            "en": "Assigning owners at {where} needs “members” (a list of user ids) or “role” "
            "(owner, admin or member: everyone with that role or a higher one).",
            "zh-CN": "{where} 处分配负责人需要设置“members”（成员 ID 列表）或“role”"
            "（owner 所有者、admin 管理员或 member 成员：拥有该角色或更高角色的所有人）。",
        },
        "automation_members_and_role": {
            "en": "Assigning owners at {where} takes “members” or “role”, not both.",
            "zh-CN": "{where} 处分配负责人只能设置“members”或“role”其中之一，不能同时设置。",
        },
        "automation_fixed_role": {
            "en": "A fixed owner at {where} is one chosen member, not a role; assign by role "
            "with round_robin or least_loaded.",
            "zh-CN": "{where} 处的固定负责人须是一名指定成员，不能是角色；按角色分配请使用 "
            "round_robin（轮流分配）或 least_loaded（按负载最少）。",
        },
        "automation_no_actor": {
            "en": "Nobody makes a change for the trigger “{trigger}”, so there is no actor "
            "(at {where}).",
            "zh-CN": "触发条件“{trigger}”没有操作人（位置：{where}）。",
        },
        "automation_due_empty": {
            "en": "The due date at {where} needs days, hours, minutes or a time (at).",
            "zh-CN": "{where} 处的截止时间需要设置天数、小时、分钟或时刻（at）。",
        },
        "automation_remind_needs_due": {
            "en": "A reminder at {where} needs a due date.",
            "zh-CN": "{where} 处的提醒需要先设置截止时间。",
        },
        "automation_repeat_needs_interval": {
            "en": "“repeat_while” at {where} needs “repeat_every_days”.",
            "zh-CN": "{where} 处的“repeat_while”需要同时设置“repeat_every_days”。",
        },
        "automation_repeat_event_condition": {
            "en": "“changed” and “was” at {where} need a change; a repeating follow-up checks "
            "the record later, when nothing is changing.",
            "zh-CN": "{where} 处的“changed”和“was”需要一次数据修改，"
            "而重复的跟进任务是在之后检查数据，没有修改可比较。",
        },
        "automation_bad_url": {
            "en": "“{value}” at {where} is not a web address: use http:// or https:// and a "
            "host name.",
            "zh-CN": "{where} 处的“{value}”不是有效的网址：请以 http:// 或 https:// "
            "开头并包含主机名。",
        },
        "automation_url_credentials": {
            "en": "The address at {where} must not hold a user name or password; use the "
            "secret to sign the calls.",
            "zh-CN": "{where} 处的网址不能包含用户名或密码，请使用密钥（secret）为请求签名。",
        },
        "automation_wait_range": {
            "en": "A wait at {where} lasts from 1 minute to 365 days.",
            "zh-CN": "{where} 处的等待时长必须在 1 分钟到 365 天之间。",
        },
        # -- templates in the document -----------------------------------------------
        "automation_template_root": {
            "en": "“{placeholder}” at {where} reads nothing: a placeholder starts with record, "
            "trigger, workspace, today, now or steps.",
            "zh-CN": "{where} 处的“{placeholder}”无法读取：占位符须以 record、trigger、workspace、"
            "today、now 或 steps 开头。",
        },
        "automation_template_root_hint": {
            "en": "“{placeholder}” at {where} reads nothing — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的“{placeholder}”无法读取，您是想用“{suggestion}”吗？",
        },
        "automation_template_no_record": {
            "en": "“{placeholder}” at {where} reads the record, but a schedule has no record.",
            "zh-CN": "{where} 处的“{placeholder}”读取触发数据，而定时触发没有数据。",
        },
        "automation_template_field": {
            "en": "“{placeholder}” at {where} names no field of the form “{form}”.",
            "zh-CN": "{where} 处的“{placeholder}”不是表单“{form}”中的字段。",
        },
        "automation_template_field_hint": {
            "en": "“{placeholder}” at {where} names no field of the form “{form}” — did you mean "
            "“{suggestion}”?",
            "zh-CN": "{where} 处的“{placeholder}”不是表单“{form}”中的字段，"
            "您是想用“{suggestion}”吗？",
        },
        "automation_template_owner": {
            "en": "“{placeholder}” at {where} reads nothing: the owner has an id, a name and "
            "an email.",
            "zh-CN": "{where} 处的“{placeholder}”无法读取：负责人只有 id、name 和 email。",
        },
        "automation_template_owner_hint": {
            "en": "“{placeholder}” at {where} reads nothing — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的“{placeholder}”无法读取，您是想用“{suggestion}”吗？",
        },
        "automation_template_step": {
            "en": "“{placeholder}” at {where} reads the step “{name}”, which is not an earlier "
            "action.",
            "zh-CN": "{where} 处的“{placeholder}”读取步骤“{name}”，但它不是前面的执行动作。",
        },
        # -- templates ---------------------------------------------------------------
        "template_where_text": {"en": "the text", "zh-CN": "文本"},
        "template_too_long": {
            "en": "The template at {where} is longer than {max} characters.",
            "zh-CN": "{where} 处的模板超过 {max} 个字符。",
        },
        "template_too_many": {
            "en": "The template at {where} has more than {max} placeholders.",
            "zh-CN": "{where} 处的模板占位符超过 {max} 个。",
        },
        "template_unclosed": {
            "en": "The placeholder at character {position} of {where} is not closed with }}}}.",
            "zh-CN": "{where} 第 {position} 个字符处的占位符缺少结尾的 }}}}。",
        },
        "template_bad_placeholder": {
            "en": "“{text}” at character {position} of {where} is not a placeholder: write "
            "{{{{ record.field }}}} or {{{{ record.date + 3 days }}}}.",
            "zh-CN": "{where} 第 {position} 个字符处的“{text}”不是有效的占位符：请写成 "
            "{{{{ record.field }}}} 或 {{{{ record.date + 3 days }}}}。",
        },
        "template_private_name": {
            "en": "“{text}” at character {position} of {where} names something private "
            "(starting with __); templates read only the run's data.",
            "zh-CN": "{where} 第 {position} 个字符处的“{text}”是内部名称（以 __ 开头），"
            "模板只能读取运行数据。",
        },
        "template_bad_unit": {
            "en": "“{name}” at character {position} of {where} is not a unit: use minutes, "
            "hours, days, weeks or months.",
            "zh-CN": "{where} 第 {position} 个字符处的“{name}”不是时间单位：请使用 minutes、"
            "hours、days、weeks 或 months。",
        },
        "template_bad_unit_hint": {
            "en": "“{name}” at character {position} of {where} is not a unit — did you mean "
            "“{suggestion}”?",
            "zh-CN": "{where} 第 {position} 个字符处的“{name}”不是时间单位，"
            "您是想用“{suggestion}”吗？",
        },
        "template_amount_range": {
            "en": "The amount at character {position} of {where} is larger than {max}.",
            "zh-CN": "{where} 第 {position} 个字符处的数量超过 {max}。",
        },
        "template_block": {
            "en": "“{{%” at character {position} of {where}: templates have no loops, "
            "conditions or other blocks, only {{{{ … }}}} placeholders.",
            "zh-CN": "{where} 第 {position} 个字符处出现“{{%”：模板不支持循环、判断等语句块，"
            "只支持 {{{{ … }}}} 占位符。",
        },
    }
)
