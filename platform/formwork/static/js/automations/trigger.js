// The trigger picker (触发条件): type, form, and what each type needs — the field and its
// from/to values, the changed fields, a date field with an offset and a time, a cron
// schedule with presets, a button label.
"use strict";

import { h, uid } from "../builder/dom.js";
import { row, selectInput, setPath, textInput, timeInput } from "./inputs.js";

// Keys each trigger type uses besides "type" (the rest are dropped when the type changes).
const KEYS = {
  record_created: ["form"],
  record_updated: ["form", "fields"],
  record_deleted: ["form"],
  field_changed: ["form", "field", "from", "to"],
  form_submitted: ["form"],
  survey_submitted: ["form"],
  tier_changed: ["form", "scheme", "to"],
  schedule: ["cron"],
  date_relative: ["form", "date_field", "offset_days", "at"],
  manual: ["form", "label"],
};

export const CRON_PRESETS = [
  ["0 9 * * *", "cron_daily"],
  ["0 9 * * 1", "cron_monday"],
  ["0 9 1 * *", "cron_monthly"],
];

/** Make ``trigger`` fit its type: defaults for new keys, unused keys removed. */
export function normaliseTrigger(trigger, ctx) {
  const keys = KEYS[trigger.type] || [];
  for (const key of Object.keys(trigger)) {
    if (key !== "type" && !keys.includes(key)) delete trigger[key];
  }
  if (keys.includes("form") && !ctx.formByKey(trigger.form)) {
    const first = ctx.data.forms[0];
    if (first) trigger.form = first.key;
  }
  if (trigger.type === "schedule" && !trigger.cron) trigger.cron = CRON_PRESETS[0][0];
  if (trigger.type === "date_relative") {
    if (typeof trigger.offset_days !== "number") trigger.offset_days = 0;
    if (!trigger.at) trigger.at = "09:00";
    const dates = ctx.triggerFields().filter((f) => f.kind === "date" || f.kind === "datetime");
    if (!dates.some((f) => f.key === trigger.date_field)) {
      if (dates[0]) trigger.date_field = dates[0].key;
      else delete trigger.date_field;
    }
  }
  if (trigger.type === "tier_changed" && trigger.scheme) {
    const scheme = (ctx.data.tier_schemes || []).find((s) => s.key === trigger.scheme);
    if (scheme && scheme.form && scheme.form !== trigger.form) {
      delete trigger.scheme;
      delete trigger.to;
    }
  }
  if (trigger.type === "field_changed") {
    const fields = ctx.triggerFields();
    if (!fields.some((f) => f.key === trigger.field)) {
      if (fields[0]) trigger.field = fields[0].key;
      else delete trigger.field;
      delete trigger.from;
      delete trigger.to;
    }
  }
}

/** Render the trigger card's body into ``box``; ``onStructure`` re-renders dependants. */
export function renderTrigger(box, ctx, onStructure) {
  const S = ctx.S;
  const trigger = ctx.doc.trigger;
  box.replaceChildren();

  const typeChoices = ctx.data.trigger_types.map((t) => [t.type, t.title]);
  const typeSelect = selectInput(trigger, ["type"], typeChoices, () => {
    normaliseTrigger(trigger, ctx);
    ctx.changed();
    onStructure();
  });
  typeSelect.dataset.role = "trigger-type";
  box.append(row(S.trigger_type, typeSelect, { pointer: "/trigger/type" }));

  const keys = KEYS[trigger.type] || [];
  if (keys.includes("form")) {
    const forms = ctx.data.forms.map((f) => [f.key, f.title]);
    const formSelect = selectInput(trigger, ["form"], forms, () => {
      normaliseTrigger(trigger, ctx);
      ctx.changed();
      onStructure();
    }, { placeholder: forms.length ? null : S.no_forms });
    formSelect.dataset.role = "trigger-form";
    box.append(row(S.trigger_form, formSelect, { pointer: "/trigger/form" }));
  }

  const details = {
    record_updated: updatedFields,
    field_changed: fieldChange,
    tier_changed: tierChange,
    schedule: schedule,
    date_relative: dateRelative,
    manual: manual,
  }[trigger.type];
  if (details) details(box, trigger, ctx, onStructure);
  const help = S[`trigger_help_${trigger.type}`];
  if (help) box.append(h("p", { class: "form-text mb-0", text: help }));
}

function updatedFields(box, trigger, ctx) {
  const S = ctx.S;
  const fieldset = h("fieldset", { class: "mb-2", dataset: { pointer: "/trigger/fields" } });
  fieldset.append(h("legend", { class: "form-label small mb-1", text: S.only_fields }));
  const list = h("div", { class: "fw-auto-checks" });
  for (const field of ctx.triggerFields()) {
    const id = uid("fw-field");
    const box2 = h("input", { type: "checkbox", class: "form-check-input", id, value: field.key });
    box2.checked = Array.isArray(trigger.fields) && trigger.fields.includes(field.key);
    box2.addEventListener("change", () => {
      const chosen = new Set(trigger.fields || []);
      if (box2.checked) chosen.add(field.key);
      else chosen.delete(field.key);
      const ordered = ctx.triggerFields().map((f) => f.key).filter((k) => chosen.has(k));
      setPath(trigger, ["fields"], ordered.length ? ordered : undefined);
      ctx.changed();
    });
    list.append(h("div", { class: "form-check form-check-inline" }, box2, h("label", { class: "form-check-label small", for: id, text: field.title })));
  }
  fieldset.append(list, h("div", { class: "form-text", text: S.only_fields_help }));
  box.append(fieldset);
}

function fieldChange(box, trigger, ctx, onStructure) {
  const S = ctx.S;
  const fields = ctx.triggerFields().map((f) => [f.key, f.title]);
  const fieldSelect = selectInput(trigger, ["field"], fields, () => {
    delete trigger.from;
    delete trigger.to;
    ctx.changed();
    onStructure();
  }, { placeholder: S.choose_field });
  fieldSelect.dataset.role = "trigger-field";
  box.append(row(S.trigger_field, fieldSelect, { pointer: "/trigger/field" }));
  const field = ctx.triggerFields().find((f) => f.key === trigger.field);
  if (!field) return;
  const line = h("div", { class: "row g-2" });
  line.append(
    h("div", { class: "col-sm-6" }, row(S.changes_from, valuePicker(trigger, "from", field, ctx), { pointer: "/trigger/from", className: "" })),
    h("div", { class: "col-sm-6" }, row(S.changes_to, valuePicker(trigger, "to", field, ctx), { pointer: "/trigger/to", className: "" })),
  );
  box.append(line);
}

/** A constant for from/to: the field's options for a choice, yes/no, a number, or text.
 * "Any value" leaves the key out; "Empty" is null. */
function valuePicker(trigger, key, field, ctx) {
  const S = ctx.S;
  const ANY = "\u0000any";
  const EMPTY = "\u0000empty";
  let control;
  if (field.options || field.kind === "boolean") {
    control = h("select", { class: "form-select form-select-sm", dataset: { role: `trigger-${key}` } });
    control.append(h("option", { value: ANY, text: S.any_value }));
    const options = field.options || [{ value: true, title: S.yes }, { value: false, title: S.no }];
    options.forEach((option, index) => control.append(h("option", { value: String(index), text: option.title })));
    control.append(h("option", { value: EMPTY, text: S.empty_value }));
    if (!(key in trigger)) control.value = ANY;
    else if (trigger[key] === null) control.value = EMPTY;
    else {
      const index = options.findIndex((o) => o.value === trigger[key]);
      control.value = index >= 0 ? String(index) : ANY;
    }
    control.addEventListener("change", () => {
      if (control.value === ANY) delete trigger[key];
      else if (control.value === EMPTY) trigger[key] = null;
      else trigger[key] = options[Number(control.value)].value;
      ctx.changed();
    });
    return control;
  }
  const numeric = field.kind === "number" || field.kind === "integer";
  control = h("input", {
    type: numeric ? "number" : field.kind === "date" ? "date" : "text",
    class: "form-control form-control-sm",
    placeholder: S.any_value,
    dataset: { role: `trigger-${key}` },
  });
  control.value = key in trigger && trigger[key] !== null ? String(trigger[key]) : "";
  control.addEventListener("input", () => {
    const text = control.value;
    if (text === "") delete trigger[key];
    else if (numeric && Number.isFinite(Number(text))) trigger[key] = Number(text);
    else trigger[key] = text;
    ctx.changed();
  });
  return control;
}

/** The schemes a tier_changed trigger on ``form`` can name: the form's own, and the
 * built-in churn status (no form). */
function schemesFor(ctx, form) {
  return (ctx.data.tier_schemes || []).filter((s) => !s.form || s.form === form);
}

function tierChange(box, trigger, ctx, onStructure) {
  const S = ctx.S;
  const schemes = schemesFor(ctx, trigger.form);
  const choices = schemes.map((s) => [s.key, s.title]);
  if (trigger.scheme && !schemes.some((s) => s.key === trigger.scheme)) choices.push([trigger.scheme, trigger.scheme]);
  const schemeSelect = selectInput(trigger, ["scheme"], choices, () => {
    delete trigger.to;
    ctx.changed();
    onStructure();
  }, { placeholder: S.any_scheme || S.any_value });
  schemeSelect.dataset.role = "trigger-scheme";
  box.append(row(S.tier_scheme, schemeSelect, { pointer: "/trigger/scheme" }));
  const scheme = schemes.find((s) => s.key === trigger.scheme);
  const tiers = scheme ? scheme.tiers.map((t) => [t.key, t.title]) : [];
  if (trigger.to && !tiers.some(([key]) => key === trigger.to)) tiers.push([trigger.to, trigger.to]);
  const toSelect = selectInput(trigger, ["to"], tiers, ctx.changed, { placeholder: S.any_value });
  toSelect.dataset.role = "trigger-tier";
  toSelect.disabled = !tiers.length;
  box.append(row(S.tier_to, toSelect, { pointer: "/trigger/to" }));
}

function schedule(box, trigger, ctx) {
  const S = ctx.S;
  const cron = textInput(trigger, ["cron"], ctx.changed, { placeholder: "0 9 * * *", keepEmpty: true });
  cron.classList.add("font-monospace");
  cron.dataset.role = "trigger-cron";
  const presets = h("div", { class: "d-flex flex-wrap gap-2 mt-1", role: "group", "aria-label": S.cron_presets });
  for (const [expression, key] of CRON_PRESETS) {
    presets.append(h("button", {
      type: "button",
      class: "btn btn-sm btn-outline-secondary",
      text: S[key],
      dataset: { cron: expression },
      onclick: () => {
        trigger.cron = expression;
        cron.value = expression;
        ctx.changed();
      },
    }));
  }
  const wrapper = row(S.cron, cron, { pointer: "/trigger/cron", help: S.cron_help });
  wrapper.append(presets);
  box.append(wrapper);
}

function dateRelative(box, trigger, ctx) {
  const S = ctx.S;
  const dates = ctx.triggerFields().filter((f) => f.kind === "date" || f.kind === "datetime");
  const dateSelect = selectInput(trigger, ["date_field"], dates.map((f) => [f.key, f.title]), ctx.changed, {
    placeholder: dates.length ? S.choose_field : S.no_date_fields,
  });
  box.append(row(S.date_field, dateSelect, { pointer: "/trigger/date_field" }));

  const line = h("div", { class: "row g-2 align-items-end" });
  const days = h("input", { type: "number", class: "form-control form-control-sm fw-auto-number", min: 0, max: 3650, step: 1, dataset: { role: "offset-days" } });
  days.value = String(Math.abs(trigger.offset_days || 0));
  const direction = h("select", { class: "form-select form-select-sm", "aria-label": S.offset_direction });
  direction.append(h("option", { value: "1", text: S.after_date }), h("option", { value: "-1", text: S.before_date }));
  direction.value = (trigger.offset_days || 0) < 0 ? "-1" : "1";
  const update = () => {
    const amount = Math.abs(Math.trunc(Number(days.value) || 0));
    trigger.offset_days = Number(direction.value) * amount;
    ctx.changed();
  };
  days.addEventListener("input", update);
  direction.addEventListener("change", update);
  line.append(
    h("div", { class: "col-sm-4" }, row(S.offset_days, days, { pointer: "/trigger/offset_days", className: "" })),
    h("div", { class: "col-sm-4" }, direction),
    h("div", { class: "col-sm-4" }, row(S.at_time, timeInput(trigger, ["at"], ctx.changed), { pointer: "/trigger/at", className: "" })),
  );
  box.append(line);
}

function manual(box, trigger, ctx) {
  const S = ctx.S;
  box.append(row(S.button_label, textInput(trigger, ["label"], ctx.changed, { placeholder: S.button_label_placeholder, maxlength: 60 }), { pointer: "/trigger/label" }));
}
