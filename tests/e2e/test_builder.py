"""The form designer (表单设计器) in a real Chromium: a person builds a customer form by
dragging controls, sets options, a visibility rule and a formula, reorders with the
keyboard, publishes, and lands on the records list; plus the safety nets (unsaved changes,
someone else saving meanwhile) and the page in Simplified Chinese.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

PageFactory = Callable[[], Page]

PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CJK = re.compile(r"[\u4e00-\u9fff]")


def sign_up_with_workspace(page: Page, name: str) -> int:
    """Sign up and create a workspace; returns its id."""
    page.goto("/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(f"builder-{uuid.uuid4().hex[:12]}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/workspaces/new$"))
    page.get_by_label("Workspace name").fill(f"{name}'s shop")
    page.get_by_role("button", name="Create workspace").click()
    expect(page).to_have_url(re.compile(r"/w/\d+/$"))
    match = re.search(r"/w/(\d+)/$", page.url)
    assert match is not None
    return int(match.group(1))


def create_form(page: Page, workspace_id: int, app_name: str, form_name: str) -> str:
    """Create an app and a form through the pages; returns the designer's URL."""
    page.goto(f"/w/{workspace_id}/apps/new")
    page.get_by_label("App name").fill(app_name)
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_role("heading", name=app_name, level=1)).to_be_visible()
    page.get_by_label("Form name").fill(form_name)
    page.get_by_role("button", name="Create form").click()
    expect(page).to_have_url(re.compile(rf"/w/{workspace_id}/forms/\d+/design/$"))
    wait_ready(page)
    return page.url


def wait_ready(page: Page) -> None:
    expect(page.locator("#fw-builder[data-ready='1']")).to_be_attached()


def canvas_keys(page: Page) -> list[str]:
    return page.locator(".fw-canvas-list > li.fw-item").evaluate_all(
        "items => items.map(item => item.dataset.key)"
    )


def expect_order(page: Page, keys: list[str]) -> None:
    """The canvas shows exactly these fields, in this order (auto-waiting)."""
    items = page.locator(".fw-canvas-list > li.fw-item")
    expect(items).to_have_count(len(keys))
    for index, key in enumerate(keys):
        expect(items.nth(index)).to_have_attribute("data-key", key)


def drag_control(page: Page, type_key: str, *, top: bool = False) -> None:
    """Drag a control from the palette onto the canvas: above the first field, or below the
    last one (dropping onto a field's upper or lower half places it before or after)."""
    source = page.locator(f".fw-palette-item[data-type='{type_key}']")
    fields = page.locator(".fw-canvas-list > li.fw-item")
    if fields.count() == 0:
        source.drag_to(page.locator(".fw-canvas-paper"))
        return
    target = fields.first if top else fields.last
    box = target.bounding_box()
    assert box is not None
    y = 4 if top else box["height"] - 4
    source.drag_to(target, target_position={"x": 60, "y": y})


def properties(page: Page) -> Locator:
    return page.locator(".fw-props")


def set_label(page: Page, text: str) -> None:
    properties(page).get_by_label("Label (English)").fill(text)


def expect_saved(page: Page) -> None:
    expect(page.locator("[data-role=save-status]")).to_have_text("All changes saved")


def test_admin_builds_a_customer_form_by_drag_and_drop_and_publishes_it(
    open_page: PageFactory,
) -> None:
    """Drag six controls (a conditional field, a formula), reorder, publish, fill it in, see
    the formula value, edit and see the history, filter and sort the list, and see a bad
    value refused with the field's error in 中文."""
    page = open_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    workspace_id = sign_up_with_workspace(page, "Mei")
    designer_url = create_form(page, workspace_id, "CRM", "Customers")
    expect(page.locator(".fw-canvas-empty")).to_be_visible()
    expect(page.locator(".fw-palette")).to_contain_text("Single choice")

    # 1. Customer name: text, required; the key follows the English label.
    drag_control(page, "text")
    set_label(page, "Customer name")
    expect(properties(page).get_by_label("Field key")).to_have_value("customer_name")
    properties(page).get_by_label("Required", exact=True).check()
    item = page.locator("li.fw-item[data-key='customer_name']")
    expect(item.locator(".fw-item-label")).to_have_text("Customer name *")

    # 2. Level: single choice with the options Normal and VIP.
    drag_control(page, "select")
    set_label(page, "Level")
    properties(page).get_by_label("Option 1 (English)").fill("Normal")
    properties(page).get_by_label("Option 2 (English)").fill("VIP")
    level = page.locator("li.fw-item[data-key='level']")
    expect(level.locator("select option")).to_have_text(["Choose…", "Normal", "VIP"])

    # 3. VIP note: shown only when Level is VIP (the shared condition editor).
    drag_control(page, "text")
    set_label(page, "VIP note")
    rule_box = properties(page).locator("[data-condition='x-visible-if']")
    rule_box.get_by_role("button", name="Add rule").click()
    rule_box.locator("select[data-role=field]").select_option(label="Level")
    rule_box.locator("select[data-role=value]").select_option(label="VIP")
    note = page.locator("li.fw-item[data-key='vip_note']")
    expect(note.locator(".fw-badge-rule")).to_contain_text("Level")
    expect(note.locator(".fw-badge-rule")).to_contain_text("VIP")

    # 4. Quantity lands where it is dropped: at the top of the form.
    drag_control(page, "number", top=True)
    set_label(page, "Quantity")
    expect_order(page, ["quantity", "customer_name", "level", "vip_note"])

    # 5. Unit price (money), 6. Total = {quantity} * {unit_price}, checked live.
    drag_control(page, "money")
    set_label(page, "Unit price")
    drag_control(page, "formula")
    set_label(page, "Total")
    formula = properties(page).locator("[data-prop=formula]")
    formula.fill("{quantity} * {unit_prize}")
    status = properties(page).locator(".fw-formula-status")
    expect(status).to_contain_text("Unknown field “unit_prize”")
    expect(status).to_contain_text("unit_price")
    formula.fill("")
    properties(page).locator("button[data-insert='{quantity}']").click()
    formula.press("End")
    formula.press_sequentially(" * ")
    properties(page).locator("button[data-insert='{unit_price}']").click()
    expect(formula).to_have_value("{quantity} * {unit_price}")
    expect(status).to_contain_text("The formula is valid.")
    total = page.locator("li.fw-item[data-key='total']")
    expect(total).to_contain_text("{quantity} * {unit_price}")

    # Reorder with the keyboard: Quantity goes down below VIP note, announced aloud.
    quantity = page.locator("li.fw-item[data-key='quantity']")
    quantity.focus()
    for _ in range(3):
        quantity.press("Alt+ArrowDown")
    expect(page.locator("[data-role=announce]")).to_have_text(
        "“Quantity” moved to position 4 of 6."
    )
    expect(quantity).to_be_focused()
    expect_order(page, ["customer_name", "level", "vip_note", "quantity", "unit_price", "total"])
    expect(page.locator("[data-role=problem-count]")).to_be_hidden()
    expect_saved(page)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "builder-en.png"))

    # Publish: the dialog previews first, then publishes version 1.
    page.get_by_role("button", name="Publish", exact=True).click()
    dialog = page.locator("#fw-publish-dialog")
    expect(dialog).to_contain_text("Ready to publish the first version.")
    dialog.get_by_role("button", name="Publish now").click()
    expect(dialog).to_contain_text("Version 1 is published.")

    state = page.request.get(designer_url + "state").json()
    assert state["form"]["published_version"] == 1
    assert state["published"]["x-order"] == canvas_keys(page)
    stored = state["published"]["properties"]
    assert stored["level"]["enum"] == ["normal", "vip"]
    assert stored["vip_note"]["x-visible-if"] == {"and": [{"==": [{"var": "level"}, "vip"]}]}
    assert stored["total"]["x-formula"] == "{quantity} * {unit_price}"
    assert state["published"]["required"] == ["customer_name"]
    assert set(state["published_keys"]) >= {"customer_name", "total"}

    records_url = state["records_url"]
    dialog.get_by_role("link", name="Open the records").click()
    expect(page).to_have_url(re.compile(re.escape(records_url) + r"(\?.*)?$"))
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "builder-published-records.png"))

    # Fill it in: the conditional field appears live, the formula is computed on save.
    page.get_by_role("link", name="New record").click()
    expect(page.locator("form[data-record-form][data-ready='true']")).to_be_attached()
    expect(page.get_by_test_id("field-vip_note")).to_be_hidden()
    page.locator("#customer_name").fill("Acme")
    page.locator("#level").select_option("vip")
    expect(page.get_by_test_id("field-vip_note")).to_be_visible()
    page.locator("#vip_note").fill("Key account")
    page.locator("#quantity").fill("3")
    page.locator("#unit_price").fill("12.50")
    page.get_by_test_id("save-record").click()
    expect(page).to_have_url(re.compile(r"/records/\d+/$"))
    expect(page.get_by_test_id("value-total")).to_contain_text("37.5")
    acme_url = page.url

    # Edit it and see the change in the history.
    page.goto(acme_url + "edit")
    page.locator("#quantity").fill("4")
    page.get_by_test_id("save-record").click()
    expect(page.get_by_test_id("value-total")).to_contain_text("50")
    expect(page.get_by_test_id("revision").first).to_contain_text("Quantity")

    # A second record, then the list filtered by the condition and sorted by Total.
    page.goto(records_url.rstrip("/") + "/records/new")
    page.locator("#customer_name").fill("Bolt")
    page.locator("#level").select_option("normal")
    page.locator("#quantity").fill("100")
    page.locator("#unit_price").fill("1")
    page.get_by_test_id("save-record").click()
    expect(page.get_by_test_id("value-total")).to_contain_text("100")
    page.goto(records_url + "?sort=-total")
    table = page.get_by_test_id("records-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("Bolt")
    vip_only = json.dumps({"==": [{"var": "level"}, "vip"]})
    page.goto(records_url + "?" + urlencode({"filter": vip_only, "sort": "-total"}))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first).to_contain_text("Acme")

    # A bad value, in 中文: the field's own error in Chinese, nothing saved.
    page.locator("#language-switcher").click()
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.goto(records_url.rstrip("/") + "/records/new")
    page.locator("#customer_name").fill("坏数据")
    page.locator("#quantity").fill("abc")
    page.get_by_test_id("save-record").click()
    expect(page.get_by_test_id("error-quantity")).to_contain_text(re.compile("[\u4e00-\u9fff]"))
    page.goto(records_url)
    expect(table.locator("tbody tr")).to_have_count(2)
    # The refused save answers 422, which the browser logs; nothing else may go wrong.
    assert [p for p in problems if "status of 422" not in p] == []


def test_designer_speaks_chinese_and_locks_published_keys(open_page: PageFactory) -> None:
    """In 中文 the palette and engine messages are Chinese; a Chinese label gets field_N."""
    page = open_page()
    workspace_id = sign_up_with_workspace(page, "Li")
    create_form(page, workspace_id, "客户管理", "客户档案")
    page.locator("#language-switcher").click()
    page.get_by_role("button", name="中文", exact=True).click()
    wait_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".fw-palette")).to_contain_text("单行文本")
    expect(page.locator(".fw-palette")).to_contain_text("关联数据")

    page.locator(".fw-palette-item[data-type='text']").click()
    expect(page.locator("li.fw-item")).to_have_count(1)
    zh_label = properties(page).locator("[data-prop=label-zh]")
    zh_label.fill("客户名称")
    key = properties(page).locator("[data-prop=key]")
    expect(key).to_have_value(re.compile(r"^field_\d+$"))
    expect(page.locator("li.fw-item .fw-item-label")).to_have_text("客户名称")

    page.locator(".fw-palette-item[data-type='select']").press("Enter")
    expect(page.locator("li.fw-item")).to_have_count(2)
    page.locator(".fw-palette-item[data-type='formula']").click()
    formula = properties(page).locator("[data-prop=formula]")
    formula.fill("{missing} + 1")
    expect(properties(page).locator(".fw-formula-status")).to_contain_text("未知字段")
    expect(page.locator("[data-role=problem-count]")).to_be_visible()
    formula.fill("1 + 1")
    expect(properties(page).locator(".fw-formula-status")).to_have_class(re.compile("text-success"))
    expect(page.locator("[data-role=save-status][data-tone=success]")).to_be_visible()
    expect(page.locator("[data-role=problem-count]")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "builder-zh.png"))

    page.locator("[data-action=publish]").click()
    dialog = page.locator("#fw-publish-dialog")
    dialog.locator("[data-action=publish-confirm]").click()
    expect(dialog.locator("[data-published='1']")).to_be_visible()
    dialog.locator(".btn-close").click()
    page.locator("li.fw-item").first.click()
    expect(key).to_have_attribute("readonly", "")


def test_unsaved_changes_warn_before_leaving_and_a_stale_draft_is_never_overwritten(
    open_page: PageFactory,
) -> None:
    """Leaving with unsaved edits asks first; a colleague's save makes ours a conflict."""
    page = open_page()
    workspace_id = sign_up_with_workspace(page, "Ana")
    url = create_form(page, workspace_id, "Sales", "Leads")

    # Hold the save back so the edit stays unsaved, then try to leave.
    held: list[str] = []
    page.route("**/design/draft", lambda route: held.append(route.request.url))
    page.locator(".fw-palette-item[data-type='email']").click()
    expect(page.locator("[data-role=save-status]")).to_have_text(
        re.compile("Unsaved changes|Saving…")
    )
    page.once("dialog", lambda dialog: dialog.dismiss())  # the person stays
    with page.expect_event("dialog") as asked:
        page.locator(".breadcrumb a").first.click()
    assert asked.value.type == "beforeunload"
    expect(page).to_have_url(url)
    page.unroute("**/design/draft")

    # A colleague (same account, second tab) saves first.
    other = open_page()
    other.context.add_cookies(page.context.cookies())
    other.goto(url)
    wait_ready(other)
    page.once("dialog", lambda dialog: dialog.accept())  # this time they leave
    page.reload()
    wait_ready(page)
    other.locator(".fw-palette-item[data-type='phone']").click()
    expect_saved(other)
    page.locator(".fw-palette-item[data-type='url']").click()
    alert = page.locator("[data-role=alert]")
    expect(alert).to_contain_text("Someone else saved this form in the meantime")
    expect(page.locator("[data-role=save-status]")).to_have_text("Not saved: changed elsewhere")
    state = other.request.get(url + "state").json()
    assert [s["x-field"] for s in state["draft"]["properties"].values()] == ["phone"]
    alert.get_by_role("button", name="Reload").click()
    wait_ready(page)
    expect(page.locator("li.fw-item")).to_have_count(1)
    expect(page.locator("li.fw-item")).to_contain_text("Phone")
    assert json.dumps(state["draft"]).count("web_address") == 0


def publish(page: Page, version: int) -> None:
    """Publish from the designer and close the dialog."""
    page.locator("[data-action=publish]").click()
    dialog = page.locator("#fw-publish-dialog")
    dialog.locator("[data-action=publish-confirm]").click()
    expect(dialog.locator(f"[data-published='{version}']")).to_be_visible()
    dialog.locator(".btn-close").click()
    expect(dialog).to_be_hidden()


def test_link_lookup_and_rollup_are_picked_from_the_published_forms(open_page: PageFactory) -> None:
    """Orders link to Customers and copy their phone; Customers count and sum their orders."""
    page = open_page()
    workspace_id = sign_up_with_workspace(page, "Zhou")
    customers_url = create_form(page, workspace_id, "CRM", "Customers")
    page.locator(".fw-palette-item[data-type='text']").click()
    set_label(page, "Name")
    page.locator(".fw-palette-item[data-type='phone']").click()
    set_label(page, "Mobile")
    properties(page).get_by_label("Phone numbers").select_option("intl")
    publish(page, 1)

    page.locator(".breadcrumb a").nth(1).click()  # back to the app page
    page.get_by_label("Form name").fill("Orders")
    page.get_by_role("button", name="Create form").click()
    wait_ready(page)
    orders_url = page.url
    page.locator(".fw-palette-item[data-type='link']").click()
    set_label(page, "Customer")
    expect(page.locator("[data-role=problem-count]")).to_be_visible()
    properties(page).get_by_label("Records of").select_option(label="Customers")
    page.locator(".fw-palette-item[data-type='money']").click()
    set_label(page, "Amount")
    page.locator(".fw-palette-item[data-type='lookup']").click()
    set_label(page, "Customer mobile")
    properties(page).get_by_label("Through the linked-record field").select_option(label="Customer")
    properties(page).get_by_label("Show this field of the linked record").select_option(
        label="Mobile"
    )
    expect(page.locator("[data-role=problem-count]")).to_be_hidden()
    publish(page, 1)

    page.goto(customers_url)
    wait_ready(page)
    page.locator(".fw-palette-item[data-type='rollup']").click()
    set_label(page, "Orders")
    properties(page).get_by_label("Records of").select_option(label="Orders")
    expect(properties(page).get_by_label("Linked through")).to_have_value("customer")
    page.locator(".fw-palette-item[data-type='rollup']").click()
    set_label(page, "Total spent")
    properties(page).get_by_label("Records of").select_option(label="Orders")
    properties(page).get_by_label("Sum up as").select_option(label="Sum")
    properties(page).get_by_label("Of the field").select_option(label="Amount")
    expect(page.locator("[data-role=problem-count]")).to_be_hidden()
    publish(page, 2)

    customers = page.request.get(customers_url + "state").json()["published"]["properties"]
    assert customers["mobile"]["x-phone-region"] == "intl"
    assert customers["orders"]["x-rollup"] == {"form": "orders", "link": "customer", "agg": "count"}
    assert customers["total_spent"]["x-rollup"] == {
        "form": "orders",
        "link": "customer",
        "agg": "sum",
        "of": "amount",
    }
    orders = page.request.get(orders_url + "state").json()["published"]["properties"]
    assert orders["customer"]["x-link"] == {"form": "customers"}
    assert orders["customer_mobile"]["x-lookup"] == {"link": "customer", "field": "mobile"}


def test_fields_are_moved_by_dragging_archived_and_restored(open_page: PageFactory) -> None:
    """Drag a field below another; archive it (announced); restore it where it was."""
    page = open_page()
    workspace_id = sign_up_with_workspace(page, "Wu")
    create_form(page, workspace_id, "Service", "Tickets")
    for type_key, label in (("text", "Subject"), ("date", "Due"), ("nps", "Score")):
        page.locator(f".fw-palette-item[data-type='{type_key}']").click()
        set_label(page, label)
    expect_order(page, ["subject", "due", "score"])

    subject = page.locator("li.fw-item[data-key='subject']")
    score = page.locator("li.fw-item[data-key='score']")
    box = score.bounding_box()
    assert box is not None
    subject.drag_to(score, target_position={"x": 60, "y": box["height"] - 4})
    expect_order(page, ["due", "score", "subject"])
    expect(page.locator("[data-role=announce]")).to_have_text("“Subject” moved to position 3 of 3.")

    page.locator("li.fw-item[data-key='score'] [data-action=archive]").click()
    expect_order(page, ["due", "subject"])
    expect(page.locator("[data-role=announce]")).to_contain_text("“Score” archived.")
    archived = page.locator(".fw-archived")
    archived.locator("summary").click()
    archived.get_by_role("button", name="Restore “Score”").click()
    expect_order(page, ["due", "score", "subject"])
    expect(page.locator("li.fw-item[data-key='score']")).to_have_class(re.compile("is-selected"))
    expect(archived).to_be_empty()
    expect_saved(page)


def test_a_staff_only_field_keeps_its_mark_after_a_reload_and_loses_it_unticked(
    open_page: PageFactory,
) -> None:
    """The "Staff only" box round-trips through the saved draft; link fields (never
    shown to respondents anyway) do not offer it."""
    page = open_page()
    workspace_id = sign_up_with_workspace(page, "Lin")
    url = create_form(page, workspace_id, "Service", "Visits")
    page.locator(".fw-palette-item[data-type='textarea']").click()
    set_label(page, "Staff note")
    staff_only = properties(page).get_by_label("Staff only", exact=True)
    expect(staff_only).not_to_be_checked()
    staff_only.check()
    note = page.locator("li.fw-item[data-key='staff_note']")
    expect(note.locator("[data-badge=internal]")).to_have_text("Staff only")
    expect_saved(page)
    draft = page.request.get(url + "state").json()["draft"]
    assert draft["properties"]["staff_note"]["x-internal"] is True

    page.reload()
    wait_ready(page)
    expect(note.locator("[data-badge=internal]")).to_have_text("Staff only")
    note.locator(".fw-item-key").click()
    staff_only = properties(page).get_by_label("Staff only", exact=True)
    expect(staff_only).to_be_checked()
    staff_only.uncheck()
    expect(note.locator("[data-badge=internal]")).to_have_count(0)
    expect_saved(page)
    draft = page.request.get(url + "state").json()["draft"]
    assert "x-internal" not in draft["properties"]["staff_note"]

    page.locator(".fw-palette-item[data-type='link']").click()
    expect(properties(page).get_by_label("Required", exact=True)).to_be_visible()
    expect(properties(page).get_by_label("Staff only", exact=True)).to_have_count(0)


KEY_CASES = [
    ("Customer name", []),
    ("客户名称", []),
    ("客户名称", ["field_1"]),
    ("Total spent", ["total_spent"]),
    ("123 abc", []),
    ("1 2 3", []),
    ("Ünïcödé Straße", []),
    ("  __x__  ", []),
    ("a" * 80, []),
    ("f_1", []),
    ("VIP note", ["vip_note", "vip_note_2"]),
    ("客户 Name 名称", []),
    ("x-Ray! 2", []),
]


def test_the_designer_makes_keys_exactly_as_the_engine_does(page: Page) -> None:
    """The browser's key generator agrees with form_engine.dialect.field_key_for."""
    from form_engine.dialect import field_key_for

    page.goto("/login")
    generated = page.evaluate(
        """async (cases) => {
            const keys = await import("/static/js/builder/keys.js");
            return cases.map(([label, taken]) => keys.fieldKeyFor(label, new Set(taken)));
        }""",
        KEY_CASES,
    )
    assert generated == [field_key_for(label, taken) for label, taken in KEY_CASES]
