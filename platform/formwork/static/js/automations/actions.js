// The action list (执行动作): add from a menu, remove, reorder with buttons or by dragging,
// and each action's settings — field mappings with {{ }} templates, person pickers, due
// dates, webhook, wait and tags.
"use strict";

import { fmt, h, uid } from "../builder/dom.js";
import {
  checkInput,
  numberInput,
  personPicker,
  roleChoices,
  row,
  selectInput,
  templateRow,
  textInput,
  timeInput,
} from "./inputs.js";

// Actions that come with an optional part of the product; shown disabled without it.
const NEEDS = { recompute_tiers: "needs_tiers", send_survey: "needs_surveys" };

/** A new action's starting settings. */
function defaults(type, ctx) {
  const tags = ctx.triggerFields().find((f) => f.type === "tags");
  return {
    create_task: { title: "", assignee: { kind: "owner" }, due: { days: 3 } },
    notify: { to: { kind: "owner" }, title: "" },
    update_record: { values: {} },
    create_record: { form: ctx.data.forms[0] ? ctx.data.forms[0].key : "", values: {} },
    assign_owner: { mode: "round_robin", members: [] },
    add_tag: { field: tags ? tags.key : "", tag: "" },
    remove_tag: { field: tags ? tags.key : "", tag: "" },
    webhook: { url: "https://" },
    wait: { days: 1 },
    recompute_tiers: { scheme: ((ctx.data.tier_schemes || []).find((s) => s.recomputable) || { key: "" }).key },
    send_survey: { form: "", expires_days: 14 },
  }[type] || {};
}

function nextId(actions) {
  const taken = new Set(actions.map((a) => a.id));
  let n = actions.length + 1;
  while (taken.has(`a${n}`)) n += 1;
  return `a${n}`;
}

/** Render the action list and the add menu into ``box``. */
export function renderActions(box, ctx) {
  const S = ctx.S;
  const actions = ctx.doc.actions;
  box.replaceChildren();
  const list = h("ol", { class: "list-unstyled fw-action-list mb-2", dataset: { pointer: "/actions" } });
  if (!actions.length) list.append(h("li", { class: "text-body-secondary small mb-2", text: S.no_actions }));
  actions.forEach((action, index) => list.append(actionCard(action, index, ctx, () => renderActions(box, ctx))));
  box.append(list, addMenu(ctx, () => renderActions(box, ctx)));
  enableDragging(list, ctx, () => renderActions(box, ctx));
}

function addMenu(ctx, rerender) {
  const S = ctx.S;
  const available = new Set(ctx.data.available_actions);
  const menuId = uid("fw-add-menu");
  const toggle = h("button", {
    type: "button",
    class: "btn btn-sm btn-outline-primary",
    text: S.add_action,
    "aria-expanded": "false",
    "aria-controls": menuId,
    dataset: { action: "add-action" },
  });
  const menu = h("div", { id: menuId, class: "list-group fw-add-menu mt-2", role: "menu", hidden: true });
  for (const { type, title } of ctx.data.action_types) {
    const usable = available.has(type);
    const note = usable ? null : S[NEEDS[type] || "not_available"];
    const item = h("button", {
      type: "button",
      role: "menuitem",
      class: "list-group-item list-group-item-action py-1 small",
      disabled: !usable,
      dataset: { type },
      onclick: () => {
        const action = { id: nextId(ctx.doc.actions), type, ...defaults(type, ctx) };
        ctx.doc.actions.push(action);
        ctx.changed();
        rerender();
        ctx.announce(fmt(S.action_added, { action: title }));
        const cards = document.querySelectorAll(".fw-action-card");
        const last = cards[cards.length - 1];
        if (last) last.querySelector("input, select, textarea")?.focus();
      },
    }, h("span", { text: title }));
    if (note) item.append(h("span", { class: "d-block text-body-secondary fw-add-note", text: note }));
    menu.append(item);
  }
  toggle.addEventListener("click", () => {
    const open = menu.hidden;
    menu.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button:not([disabled])")?.focus();
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      menu.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
  return h("div", { class: "fw-add-action" }, toggle, menu);
}

function actionCard(action, index, ctx, rerender) {
  const S = ctx.S;
  const actions = ctx.doc.actions;
  const title = ctx.actionTitle(action.type);
  const pointer = `/actions/${index}`;
  const card = h("li", { class: "card mb-2 fw-action-card", dataset: { pointer, index: String(index), actionId: action.id } });
  const head = h("div", { class: "card-header d-flex flex-wrap align-items-center gap-2 py-1" });
  const handle = h("span", {
    class: "fw-drag-handle",
    draggable: "true",
    title: S.drag_to_reorder,
    "aria-hidden": "true",
    text: "⠿",
  });
  const move = (to) => {
    const [item] = actions.splice(index, 1);
    actions.splice(to, 0, item);
    ctx.changed();
    rerender();
    ctx.announce(fmt(S.action_moved, { action: title, position: to + 1, count: actions.length }));
    const moved = document.querySelector(`.fw-action-card[data-action-id="${CSS.escape(action.id)}"]`);
    moved?.querySelector(to < index ? "[data-action=up]" : "[data-action=down]")?.focus();
  };
  head.append(
    handle,
    h("strong", { class: "small", text: fmt(S.action_heading, { n: index + 1, action: title }) }),
    h("code", { class: "small text-body-secondary", text: action.id }),
    h("span", { class: "ms-auto d-flex gap-1" },
      h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: "↑", title: S.move_up, "aria-label": fmt(S.move_up_action, { action: title, n: index + 1 }), disabled: index === 0, dataset: { action: "up" }, onclick: () => move(index - 1) }),
      h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: "↓", title: S.move_down, "aria-label": fmt(S.move_down_action, { action: title, n: index + 1 }), disabled: index === actions.length - 1, dataset: { action: "down" }, onclick: () => move(index + 1) }),
      h("button", {
        type: "button",
        class: "btn btn-sm btn-outline-danger",
        text: S.remove,
        "aria-label": fmt(S.remove_action, { action: title, n: index + 1 }),
        dataset: { action: "remove" },
        onclick: () => {
          actions.splice(index, 1);
          ctx.changed();
          rerender();
          ctx.announce(fmt(S.action_removed, { action: title }));
        },
      }),
    ),
  );
  const body = h("div", { class: "card-body py-2" });
  const editor = EDITORS[action.type];
  if (editor) editor(body, action, pointer, ctx, rerender);
  else body.append(h("p", { class: "small text-body-secondary mb-0", text: S.no_settings }));
  card.append(head, body);
  return card;
}

// -- drag and drop ---------------------------------------------------------------------

function enableDragging(list, ctx, rerender) {
  let from = null;
  list.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element ? event.target.closest(".fw-action-card") : null;
    if (!card || !(event.target instanceof Element) || !event.target.classList.contains("fw-drag-handle")) return;
    from = Number(card.dataset.index);
    card.classList.add("fw-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.actionId);
    event.dataTransfer.setDragImage(card, 20, 20);
  });
  list.addEventListener("dragover", (event) => {
    if (from === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    for (const card of list.querySelectorAll(".fw-action-card")) card.classList.remove("fw-drop-before", "fw-drop-after");
    const target = event.target instanceof Element ? event.target.closest(".fw-action-card") : null;
    if (target) target.classList.add(dropAfter(target, event) ? "fw-drop-after" : "fw-drop-before");
  });
  list.addEventListener("dragend", () => {
    from = null;
    for (const card of list.querySelectorAll(".fw-action-card")) card.classList.remove("fw-dragging", "fw-drop-before", "fw-drop-after");
  });
  list.addEventListener("drop", (event) => {
    if (from === null) return;
    event.preventDefault();
    const target = event.target instanceof Element ? event.target.closest(".fw-action-card") : null;
    const actions = ctx.doc.actions;
    let to = target ? Number(target.dataset.index) + (dropAfter(target, event) ? 1 : 0) : actions.length;
    const start = from;
    from = null;
    if (to > start) to -= 1;
    if (to === start) {
      rerender();
      return;
    }
    const [item] = actions.splice(start, 1);
    actions.splice(to, 0, item);
    ctx.changed();
    rerender();
    ctx.announce(fmt(ctx.S.action_moved, { action: ctx.actionTitle(item.type), position: to + 1, count: actions.length }));
  });
}

function dropAfter(card, event) {
  const box = card.getBoundingClientRect();
  return event.clientY > box.top + box.height / 2;
}

// -- per-type settings -----------------------------------------------------------------

const EDITORS = {
  update_record(body, action, pointer, ctx, rerender) {
    const target = recordTarget(body, action, pointer, ctx, () => {
      action.values = {};
      rerender();
    });
    body.append(fieldMapping(action, target.fields, pointer, ctx, ctx.S.update_values_help));
  },

  create_record(body, action, pointer, ctx, rerender) {
    const S = ctx.S;
    const forms = ctx.data.forms.map((f) => [f.key, f.title]);
    const formSelect = selectInput(action, ["form"], forms, () => {
      action.values = {};
      delete action.link_field;
      ctx.changed();
      rerender();
    }, { placeholder: S.choose_form });
    body.append(row(S.target_form, formSelect, { pointer: `${pointer}/form` }));
    const target = ctx.formByKey(action.form);
    if (!target) return;
    const triggerForm = ctx.doc.trigger.form;
    const links = target.fields.filter((f) => f.link_form && f.link_form === triggerForm);
    if (links.length) {
      const linkSelect = selectInput(action, ["link_field"], links.map((f) => [f.key, f.title]), ctx.changed, { placeholder: S.no_link });
      body.append(row(S.link_field, linkSelect, { pointer: `${pointer}/link_field`, help: S.link_field_help }));
    }
    body.append(fieldMapping(action, target.fields.filter((f) => f.key !== action.link_field), pointer, ctx, S.create_values_help));
  },

  assign_owner(body, action, pointer, ctx, rerender) {
    const S = ctx.S;
    const modes = [["fixed", S.mode_fixed], ["round_robin", S.mode_round_robin], ["least_loaded", S.mode_least_loaded]];
    const mode = selectInput(action, ["mode"], modes, () => {
      if (action.mode === "fixed") {
        // "Always the same person" takes one member, never a role.
        if ("role" in action) usePool(action, "members");
        action.members = (Array.isArray(action.members) ? action.members : []).slice(0, 1);
      }
      ctx.changed();
      rerender();
    });
    body.append(row(S.assign_mode, mode, { pointer: `${pointer}/mode` }));
    const fixed = action.mode === "fixed";
    const byRole = "role" in action;
    if (!fixed || byRole) {
      const pools = [["members", S.pool_members], ["role", S.pool_role, { disabled: fixed }]];
      const pool = h("select", { class: "form-select form-select-sm", dataset: { role: "owner-pool" } });
      for (const [value, text, extra] of pools) pool.append(h("option", { value, text, disabled: Boolean(extra && extra.disabled) }));
      pool.value = byRole ? "role" : "members";
      pool.addEventListener("change", () => {
        usePool(action, pool.value);
        ctx.changed();
        rerender();
      });
      body.append(row(S.assign_among, pool, { help: S.pool_help }));
    }
    if (byRole) {
      const select = selectInput(action, ["role"], roleChoices(S, action.role), ctx.changed, {
        placeholder: action.role === undefined ? S.choose_role : null,
      });
      select.dataset.role = "owner-role";
      const help = action.mode === "least_loaded" ? S.role_pool_least_loaded_help : S.role_pool_round_robin_help;
      body.append(row(S.assign_role, select, { pointer: `${pointer}/role`, help }));
      return;
    }
    const fieldset = h("fieldset", { class: "mb-2", dataset: { pointer: `${pointer}/members` } });
    fieldset.append(h("legend", { class: "form-label small mb-1", text: fixed ? S.assign_to : S.assign_members }));
    const name = uid("fw-members");
    for (const member of ctx.data.members) {
      const id = uid("fw-member");
      const input = h("input", { type: fixed ? "radio" : "checkbox", class: "form-check-input", id, name, value: String(member.id) });
      input.checked = (action.members || []).includes(member.id);
      input.addEventListener("change", () => {
        if (fixed) action.members = [member.id];
        else {
          const chosen = new Set(action.members || []);
          if (input.checked) chosen.add(member.id);
          else chosen.delete(member.id);
          action.members = ctx.data.members.map((m) => m.id).filter((i) => chosen.has(i));
        }
        ctx.changed();
      });
      fieldset.append(h("div", { class: "form-check form-check-inline" }, input, h("label", { class: "form-check-label small", for: id, text: member.name })));
    }
    body.append(fieldset);
  },

  create_task(body, action, pointer, ctx, rerender) {
    const S = ctx.S;
    const target = recordTarget(body, action, pointer, ctx, () => {
      if (action.assignee && action.assignee.kind === "field") action.assignee = { kind: "owner" };
      rerender();
    });
    body.append(templateRow(S.task_title, action, ["title"], ctx, { pointer: `${pointer}/title`, placeholder: S.task_title_placeholder }));
    body.append(templateRow(S.task_notes, action, ["notes"], ctx, { pointer: `${pointer}/notes`, multiline: true }));
    // Owner and member fields are those of the record the task is about.
    const people = { ...ctx, memberFields: () => target.fields.filter((f) => f.type === "member") };
    body.append(personPicker(action, "assignee", people, S.assignee, `${pointer}/assignee`, { roleHelp: S.role_task_help }));
    body.append(dueFields(action, pointer, ctx));
    const line = h("div", { class: "row g-2" });
    line.append(
      h("div", { class: "col-sm-6" }, row(S.remind_before, numberInput(action, ["remind_before_minutes"], ctx.changed, { min: 0 }), { pointer: `${pointer}/remind_before_minutes`, className: "" })),
      h("div", { class: "col-sm-6" }, row(S.repeat_every, numberInput(action, ["repeat_every_days"], ctx.changed, { min: 1 }), { pointer: `${pointer}/repeat_every_days`, className: "" })),
    );
    body.append(line);
  },

  notify(body, action, pointer, ctx) {
    const S = ctx.S;
    body.append(personPicker(action, "to", ctx, S.notify_to, `${pointer}/to`, { roleHelp: S.role_notify_help }));
    body.append(templateRow(S.notify_title, action, ["title"], ctx, { pointer: `${pointer}/title` }));
    body.append(templateRow(S.notify_body, action, ["body"], ctx, { pointer: `${pointer}/body`, multiline: true }));
    body.append(checkInput(action, ["email"], S.notify_email, ctx.changed, { pointer: `${pointer}/email` }));
  },

  add_tag: tagFields,
  remove_tag: tagFields,

  webhook(body, action, pointer, ctx, rerender) {
    const S = ctx.S;
    const url = textInput(action, ["url"], ctx.changed, { type: "url", placeholder: "https://example.com/hook" });
    body.append(row(S.webhook_url, url, { pointer: `${pointer}/url`, help: S.webhook_url_help }));
    const secret = textInput(action, ["secret"], ctx.changed, { type: "password" });
    secret.autocomplete = "new-password";
    body.append(row(S.webhook_secret, secret, { pointer: `${pointer}/secret`, help: S.webhook_secret_help }));
    const fieldset = h("fieldset", { class: "mb-2", dataset: { pointer: `${pointer}/payload` } });
    fieldset.append(h("legend", { class: "form-label small mb-1", text: S.webhook_payload }));
    const payload = action.payload || {};
    const keys = Object.keys(payload);
    if (!keys.length) fieldset.append(h("p", { class: "form-text mt-0", text: S.webhook_payload_default }));
    keys.forEach((key) => {
      const line = h("div", { class: "d-flex gap-2 align-items-start mb-1" });
      const keyInput = h("input", { type: "text", class: "form-control form-control-sm fw-payload-key", value: key, "aria-label": S.payload_key });
      keyInput.addEventListener("change", () => {
        const name = keyInput.value.trim();
        if (!name || name === key || name in payload) {
          keyInput.value = key;
          return;
        }
        const rebuilt = {};
        for (const [k, v] of Object.entries(payload)) rebuilt[k === key ? name : k] = v;
        action.payload = rebuilt;
        ctx.changed();
        rerender();
      });
      const value = templateRow(fmt(S.payload_value, { key }), payload, [key], ctx, { pointer: `${pointer}/payload/${key}` });
      value.classList.add("flex-grow-1", "mb-0");
      value.querySelector("label").classList.add("visually-hidden");
      const remove = h("button", {
        type: "button",
        class: "btn btn-sm btn-outline-danger",
        text: "×",
        "aria-label": fmt(S.payload_remove, { key }),
        onclick: () => {
          delete payload[key];
          if (!Object.keys(payload).length) delete action.payload;
          ctx.changed();
          rerender();
        },
      });
      line.append(keyInput, value, remove);
      fieldset.append(line);
    });
    fieldset.append(h("button", {
      type: "button",
      class: "btn btn-sm btn-outline-secondary",
      text: S.payload_add,
      onclick: () => {
        action.payload = action.payload || {};
        let n = Object.keys(action.payload).length + 1;
        while (`key${n}` in action.payload) n += 1;
        action.payload[`key${n}`] = "";
        ctx.changed();
        rerender();
      },
    }));
    body.append(fieldset);
  },

  wait(body, action, pointer, ctx) {
    const S = ctx.S;
    const line = h("div", { class: "row g-2", dataset: { pointer } });
    for (const [key, text] of [["days", S.days], ["hours", S.hours], ["minutes", S.minutes]]) {
      line.append(h("div", { class: "col-sm-4" }, row(text, numberInput(action, [key], ctx.changed, { min: 0 }), { pointer: `${pointer}/${key}`, className: "" })));
    }
    body.append(line, h("p", { class: "form-text mb-0", text: S.wait_help }));
  },

  recompute_tiers(body, action, pointer, ctx) {
    const S = ctx.S;
    const schemes = (ctx.data.tier_schemes || []).filter((s) => s.recomputable);
    const choices = schemes.map((s) => [s.key, s.title]);
    if (action.scheme && !schemes.some((s) => s.key === action.scheme)) choices.push([action.scheme, action.scheme]);
    const select = selectInput(action, ["scheme"], choices, ctx.changed, {
      placeholder: schemes.length ? S.choose_scheme || S.tier_scheme : S.no_schemes || S.tier_scheme,
    });
    select.dataset.role = "recompute-scheme";
    body.append(row(S.tier_scheme, select, { pointer: `${pointer}/scheme` }));
  },

  send_survey(body, action, pointer, ctx, rerender) {
    const S = ctx.S;
    // Who is invited: the trigger's record or the one it links to (an order's customer).
    const { formKey } = recordTarget(body, action, pointer, ctx, rerender, { label: S.survey_target, help: S.survey_target_help });
    // Only forms that can invite that record: a single link field to its form (what the
    // invitation needs to tie the answer to the record). A stored choice always stays.
    const fits = (form) => !formKey || form.fields.some((f) => f.link_form === formKey && !f.multiple);
    const forms = ctx.data.forms.filter(fits).map((f) => [f.key, f.title]);
    if (action.form && !forms.some(([key]) => key === action.form)) forms.push([action.form, action.form]);
    const picker = selectInput(action, ["form"], forms, ctx.changed, { placeholder: forms.length ? S.choose_form : S.no_survey_forms });
    picker.dataset.role = "survey-form";
    body.append(row(S.survey_form, picker, { pointer: `${pointer}/form` }));
    body.append(row(S.expires_days, numberInput(action, ["expires_days"], ctx.changed, { min: 1 }), { pointer: `${pointer}/expires_days` }));
    body.append(row(S.remind_after_days, numberInput(action, ["remind_after_days"], ctx.changed, { min: 1 }), { pointer: `${pointer}/remind_after_days`, help: S.remind_after_help }));
  },
};

/**
 * "Record: this record / the record linked in <field>" for actions that may work on a
 * record linked from the trigger's (a survey answer → its customer). Returns the fields
 * of the chosen record's form and that form's key.
 */
function recordTarget(body, action, pointer, ctx, onChange, { label = null, help = null } = {}) {
  const S = ctx.S;
  const links = ctx.triggerFields().filter((f) => f.link_form && !f.multiple);
  const chosen = action.record && links.find((f) => f.key === action.record.link);
  const linkedForm = chosen ? ctx.formByKey(chosen.link_form) : null;
  const fields = chosen ? (linkedForm ? linkedForm.fields : []) : ctx.triggerFields();
  const triggerForm = ctx.triggerForm();
  const formKey = chosen ? chosen.link_form : triggerForm ? triggerForm.key : null;
  if (!links.length && !action.record) return { fields, formKey };
  const select = h("select", { class: "form-select form-select-sm", dataset: { role: "record-target" } });
  select.append(h("option", { value: "", text: S.this_record }));
  for (const field of links) select.append(h("option", { value: field.key, text: fmt(S.linked_record, { field: field.title }) }));
  if (action.record && !chosen) select.append(h("option", { value: action.record.link, text: String(action.record.link) }));
  select.value = action.record ? String(action.record.link) : "";
  select.addEventListener("change", () => {
    if (select.value) action.record = { link: select.value };
    else delete action.record;
    ctx.changed();
    onChange();
  });
  body.append(row(label || S.record_target, select, { pointer: `${pointer}/record`, help: help || S.record_target_help }));
  return { fields, formKey };
}

// What each pool choice last held, per action: switching back and forth keeps the picks.
const lastPools = new WeakMap();

/** Make an assign_owner action pick among its ``members`` or among a ``role``. */
function usePool(action, pool) {
  const last = lastPools.get(action) || {};
  if ("members" in action) last.members = action.members;
  if ("role" in action) last.role = action.role;
  lastPools.set(action, last);
  if (pool === "role") {
    delete action.members;
    action.role = last.role || "member";
  } else {
    delete action.role;
    action.members = Array.isArray(last.members) ? last.members : [];
  }
}

function tagFields(body, action, pointer, ctx) {
  const S = ctx.S;
  const tags = ctx.triggerFields().filter((f) => f.type === "tags").map((f) => [f.key, f.title]);
  body.append(row(S.tag_field, selectInput(action, ["field"], tags, ctx.changed, { placeholder: tags.length ? S.choose_field : S.no_tag_fields }), { pointer: `${pointer}/field` }));
  body.append(row(S.tag, textInput(action, ["tag"], ctx.changed, { maxlength: 50 }), { pointer: `${pointer}/tag` }));
}

function dueFields(action, pointer, ctx) {
  const S = ctx.S;
  const fieldset = h("fieldset", { class: "mb-2", dataset: { pointer: `${pointer}/due` } });
  fieldset.append(h("legend", { class: "form-label small mb-1", text: S.due }));
  const line = h("div", { class: "row g-2" });
  line.append(
    h("div", { class: "col-sm-4" }, row(S.due_days, numberInput(action, ["due", "days"], ctx.changed, { min: 0 }), { pointer: `${pointer}/due/days`, className: "" })),
    h("div", { class: "col-sm-4" }, row(S.due_hours, numberInput(action, ["due", "hours"], ctx.changed, { min: 0 }), { pointer: `${pointer}/due/hours`, className: "" })),
    h("div", { class: "col-sm-4" }, row(S.due_at, timeInput(action, ["due", "at"], ctx.changed), { pointer: `${pointer}/due/at`, className: "" })),
  );
  fieldset.append(line, h("div", { class: "form-text", text: S.due_help }));
  return fieldset;
}

/** One template input per writable field; an empty input leaves the field alone. */
function fieldMapping(action, fields, pointer, ctx, help) {
  const S = ctx.S;
  if (!action.values || typeof action.values !== "object") action.values = {};
  const fieldset = h("fieldset", { class: "mb-2 fw-mapping", dataset: { pointer: `${pointer}/values` } });
  fieldset.append(h("legend", { class: "form-label small mb-1", text: S.field_values }));
  const writable = fields.filter((f) => !f.computed);
  if (!writable.length) fieldset.append(h("p", { class: "form-text", text: S.no_writable_fields }));
  for (const field of writable) {
    const line = templateRow(field.title, action.values, [field.key], ctx, { pointer: `${pointer}/values/${field.key}` });
    line.classList.add("fw-mapping-row");
    if (field.options) {
      const list = h("datalist", { id: uid("fw-options") });
      for (const option of field.options) list.append(h("option", { value: String(option.value), label: option.title }));
      const input = line.querySelector("input");
      input.setAttribute("list", list.id);
      line.append(list);
    }
    fieldset.append(line);
  }
  fieldset.append(h("div", { class: "form-text", text: help }));
  return fieldset;
}
