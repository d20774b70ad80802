// The property panel: everything about the selected field (or the form when none is
// selected): labels in English and 中文, key, help text, rules, options, relations,
// formula, and the visibility / requiredness conditions (shared condition editor).
"use strict";

import { mountConditionEditor } from "../condition_editor.js";
import { fmt, h } from "./dom.js";
import { checkRow, inputRow, numberOf, section, selectRow, textareaRow } from "./controls.js";
import { formulaEditor } from "./formula.js";
import { optionsEditor } from "./options.js";
import { linkSettings, lookupSettings, rollupSettings, subformSettings } from "./relations.js";

const UNIQUE_TYPES = new Set(["text", "email", "phone", "url", "number", "money"]);
// Respondents never see these types anyway (services/public_link_settings.py NOT_PUBLIC_TYPES).
const NEVER_PUBLIC_TYPES = new Set(["link", "member", "attachment"]);
const DEFAULT_TYPES = new Set(["text", "textarea", "email", "phone", "url", "number", "money", "percent", "rating", "nps", "date", "datetime", "select", "checkbox"]);
const CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "SGD", "TWD"];
const KEY_ERRORS = { key_published: "key_error_published", key_invalid: "key_error_invalid", key_taken: "key_error_taken" };

export function mountProperties(container, store, S, { announce, onArchive, conditionStrings, checkFormula, publishedSchema }) {
  let current = null; // the key on show (it may change while a fresh field is renamed)
  let ownEdit = false; // a structural change this panel made: no re-render
  const problemsBox = h("div", { class: "fw-prop-problems", role: "status", "aria-live": "polite" });
  const getKey = () => current;

  function edit(fn) {
    ownEdit = true;
    try { return fn(); } finally { ownEdit = false; }
  }

  function render() {
    current = store.selected;
    const focusProp = document.activeElement && container.contains(document.activeElement) ? document.activeElement.dataset.prop : null;
    if (!current || !store.schema(current)) {
      container.replaceChildren(...formSettings());
    } else {
      container.replaceChildren(...fieldSettings(current));
    }
    renderProblems();
    if (focusProp) {
      const target = container.querySelector(`[data-prop="${focusProp}"]`);
      if (target) target.focus();
    }
  }

  function renderProblems() {
    const problems = current ? store.problemsFor(current) : store.problems.filter((p) => !p.key);
    problemsBox.replaceChildren(...(problems.length ? [h("ul", { class: "fw-problem-list mb-2" }, problems.map((p) => h("li", { text: p.message })))] : []));
  }

  // -- the form ---------------------------------------------------------------------------

  function formSettings() {
    const doc = store.doc;
    const zhTitle = (doc["x-titles"] || {})["zh-CN"] || "";
    const zhHelp = (doc["x-descriptions"] || {})["zh-CN"] || "";
    const en = inputRow({ label: S.form_title_en, value: doc.title || "", lang: "en", name: "form-title-en", onInput: (v) => store.setFormLabel("en", v) });
    const zh = inputRow({ label: S.form_title_zh, value: zhTitle, lang: "zh-CN", name: "form-title-zh", onInput: (v) => store.setFormLabel("zh-CN", v) });
    const helpEn = textareaRow({ label: S.form_help_en, value: doc.description || "", lang: "en", name: "form-help-en", onInput: (v) => store.setFormHelp("en", v) });
    const helpZh = textareaRow({ label: S.form_help_zh, value: zhHelp, lang: "zh-CN", name: "form-help-zh", onInput: (v) => store.setFormHelp("zh-CN", v) });
    const labels = store.locale === "en" ? [en.row, zh.row, helpEn.row, helpZh.row] : [zh.row, en.row, helpZh.row, helpEn.row];
    return [
      h("h2", { class: "h6 fw-builder-heading", id: "fw-props-title", text: S.props_form }),
      h("p", { class: "small text-body-secondary", text: S.props_none_selected }),
      problemsBox,
      section(S.section_form, ...labels),
    ];
  }

  // -- a field ----------------------------------------------------------------------------

  function fieldSettings(key) {
    const schema = store.schema(key);
    const type = store.catalogue.get(schema["x-field"]) || { title: schema["x-field"], computed: false, layout: false };
    const kind = schema["x-field"];
    const parts = [
      h("h2", { class: "h6 fw-builder-heading", id: "fw-props-title" }, fmt(S.props_field, { type: type.title })),
      problemsBox,
      section(S.section_basics, ...basics(key, schema, type)),
    ];
    const rules = ruleRows(key, schema, type);
    if (rules.length) parts.push(section(S.section_rules, ...rules));
    if (kind === "select" || kind === "multiselect") parts.push(section(S.section_options, optionsEditor(store, getKey, S, announce)));
    if (kind === "link") parts.push(section(S.section_link, ...linkSettings(store, getKey, S)));
    if (kind === "lookup") parts.push(section(S.section_lookup, ...lookupSettings(store, getKey, S, render)));
    if (kind === "rollup") parts.push(section(S.section_rollup, ...rollupSettings(store, getKey, S, render)));
    if (kind === "formula") parts.push(section(S.section_formula, formulaEditor(store, getKey, S, { checkFormula })));
    if (kind === "subform") parts.push(section(S.section_columns, ...subformSettings(store, getKey, S, announce, render)));
    parts.push(section(S.section_visibility, conditionBox(key, "x-visible-if", S.visible_if_help)));
    if (!type.computed && !type.layout) parts.push(section(S.section_required_if, conditionBox(key, "x-required-if", S.required_if_help)));
    parts.push(h("div", { class: "mt-3" }, h("button", {
      type: "button", class: "btn btn-sm btn-outline-danger", dataset: { action: "archive-selected" },
      onclick: () => onArchive(getKey()),
    }, S.archive_this)));
    return parts;
  }

  function basics(key, schema, type) {
    const zh = (schema["x-titles"] || {})["zh-CN"] || "";
    const keyHelp = store.isPublished(key) ? S.key_help_published : S.key_help;
    const keyRow = inputRow({
      label: S.key_label, value: key, name: "key", help: keyHelp,
      attrs: { spellcheck: "false", autocomplete: "off", pattern: "[a-z][a-z0-9_]{0,62}", readonly: store.isPublished(key) || null },
      onChange: (value, input) => {
        const wanted = value.trim();
        const error = edit(() => store.renameKey(getKey(), wanted));
        if (error) {
          input.setCustomValidity(S[KEY_ERRORS[error]] || error);
          input.reportValidity();
          input.value = getKey();
        } else {
          input.setCustomValidity("");
          current = store.selected;
          store.autoKeys.delete(current);
          announce(fmt(S.key_changed, { key: current }));
        }
      },
    });
    const syncKey = (newKey) => {
      if (newKey !== current) {
        current = newKey;
        keyRow.input.value = newKey;
      }
    };
    // Editing one label may clear or mirror the other one's palette default: show it.
    const syncLabels = () => {
      const now = store.schema(getKey()) || {};
      if (document.activeElement !== labelEn.input) labelEn.input.value = now.title || "";
      if (document.activeElement !== labelZh.input) labelZh.input.value = (now["x-titles"] || {})["zh-CN"] || "";
    };
    const labelEn = inputRow({
      label: S.label_en, value: schema.title || "", lang: "en", name: "label-en",
      onInput: (value) => { syncKey(edit(() => store.setLabel(getKey(), "en", value))); syncLabels(); },
    });
    const labelZh = inputRow({
      label: S.label_zh, value: zh, lang: "zh-CN", name: "label-zh",
      onInput: (value) => { syncKey(edit(() => store.setLabel(getKey(), "zh-CN", value))); syncLabels(); },
    });
    const isDescription = schema["x-field"] === "description";
    const helpEn = textareaRow({
      label: isDescription ? S.text_en : S.help_en, value: schema.description || "", lang: "en", name: "help-en", rows: isDescription ? 4 : 2,
      onInput: (value) => store.setHelp(getKey(), "en", value),
    });
    const helpZh = textareaRow({
      label: isDescription ? S.text_zh : S.help_zh, value: (schema["x-descriptions"] || {})["zh-CN"] || "", lang: "zh-CN", name: "help-zh", rows: isDescription ? 4 : 2,
      onInput: (value) => store.setHelp(getKey(), "zh-CN", value),
    });
    const labels = store.locale === "en" ? [labelEn.row, labelZh.row] : [labelZh.row, labelEn.row];
    const helps = store.locale === "en" ? [helpEn.row, helpZh.row] : [helpZh.row, helpEn.row];
    void type;
    return [...labels, keyRow.row, ...helps];
  }

  function ruleRows(key, schema, type) {
    const kind = schema["x-field"];
    const rows = [];
    if (!type.computed && !type.layout) {
      rows.push(checkRow({ label: S.required, name: "required", checked: store.isRequired(key), onChange: (checked) => { store.setRequired(getKey(), checked); } }).row);
    }
    if (!type.computed && !type.layout && !NEVER_PUBLIC_TYPES.has(kind)) {
      // Stored only when ticked: an absent keyword is the default (shown to respondents).
      rows.push(checkRow({ label: S.staff_only_label, name: "internal", help: S.staff_only_help, checked: schema["x-internal"] === true,
        onChange: (checked) => store.setKeyword(getKey(), "x-internal", checked || undefined) }).row);
    }
    if (UNIQUE_TYPES.has(kind)) {
      rows.push(checkRow({ label: S.unique_label, name: "unique", help: S.unique_help, checked: Boolean(schema["x-unique"]), onChange: (checked) => store.setKeyword(getKey(), "x-unique", checked || undefined) }).row);
    }
    const number = (label, keyword, { integer = false, min = null, max = null, name = keyword } = {}) => inputRow({
      label, type: "number", value: schema[keyword] ?? "", name,
      attrs: { step: integer ? "1" : "any", min, max, inputmode: integer ? "numeric" : "decimal" },
      onInput: (value) => store.setKeyword(getKey(), keyword, numberOf(value, integer)),
    }).row;
    if (kind === "text" || kind === "textarea") rows.push(number(S.max_length, "maxLength", { integer: true, min: 1 }));
    if (kind === "number" || kind === "percent" || kind === "money") {
      rows.push(h("div", { class: "row g-2" }, h("div", { class: "col" }, number(S.minimum, "minimum")), h("div", { class: "col" }, number(S.maximum, "maximum"))));
    }
    if (kind === "number" || kind === "percent") rows.push(number(S.decimals, "x-decimals", { integer: true, min: 0, max: 10 }));
    if (kind === "money") {
      rows.push(selectRow({ label: S.currency, name: "currency", value: schema["x-currency"] || "CNY", choices: CURRENCIES.map((c) => ({ value: c, text: c })),
        onChange: (value) => store.setKeyword(getKey(), "x-currency", value) }).row);
    }
    if (kind === "rating") rows.push(number(S.rating_max, "maximum", { integer: true, min: 1, max: 10 }));
    if (kind === "multiselect") rows.push(number(S.max_items, "maxItems", { integer: true, min: 1 }));
    if (kind === "phone") {
      rows.push(selectRow({ label: S.phone_region, name: "phone-region", value: schema["x-phone-region"] || "CN",
        choices: [{ value: "CN", text: S.phone_cn }, { value: "intl", text: S.phone_intl }],
        onChange: (value) => store.setKeyword(getKey(), "x-phone-region", value) }).row);
    }
    if (kind === "autonumber") {
      const settings = schema["x-autonumber"] || {};
      const set = (patch) => store.update(getKey(), (s) => { s["x-autonumber"] = { ...(s["x-autonumber"] || {}), ...patch }; });
      rows.push(inputRow({ label: S.autonumber_prefix, name: "prefix", value: settings.prefix || "", attrs: { maxlength: "20" }, onInput: (v) => set({ prefix: v }) }).row);
      rows.push(inputRow({ label: S.autonumber_digits, name: "digits", type: "number", value: settings.digits ?? 5, attrs: { min: "1", max: "12", step: "1" },
        onInput: (v) => set({ digits: numberOf(v, true) ?? 5 }) }).row);
    }
    if (DEFAULT_TYPES.has(kind)) rows.push(defaultRow(schema));
    return rows;
  }

  function defaultRow(schema) {
    const kind = schema["x-field"];
    const set = (value) => store.setKeyword(getKey(), "default", value);
    if (kind === "select") {
      return selectRow({ label: S.default_value, name: "default", value: schema.default || "", placeholder: S.no_default,
        choices: store.options(schema).map((o) => ({ value: o.value, text: o.title })), onChange: (v) => set(v || undefined) }).row;
    }
    if (kind === "checkbox") {
      const value = schema.default === true ? "true" : schema.default === false ? "false" : "";
      return selectRow({ label: S.default_value, name: "default", value, placeholder: S.no_default,
        choices: [{ value: "true", text: S.checked }, { value: "false", text: S.unchecked }],
        onChange: (v) => set(v === "" ? undefined : v === "true") }).row;
    }
    if (["number", "money", "percent", "rating", "nps"].includes(kind)) {
      const integer = kind === "rating" || kind === "nps";
      return inputRow({ label: S.default_value, name: "default", type: "number", value: schema.default ?? "", attrs: { step: integer ? "1" : "any" },
        onInput: (v) => set(numberOf(v, integer)) }).row;
    }
    if (kind === "date") return inputRow({ label: S.default_value, name: "default", type: "date", value: schema.default || "", onInput: (v) => set(v || undefined) }).row;
    if (kind === "datetime") {
      const shown = typeof schema.default === "string" ? schema.default.slice(0, 16) : "";
      return inputRow({ label: S.default_value, name: "default", type: "datetime-local", value: shown, help: S.utc_note,
        onInput: (v) => set(v ? `${v.slice(0, 16)}:00Z` : undefined) }).row;
    }
    return inputRow({ label: S.default_value, name: "default", value: schema.default || "", onInput: (v) => set(v || undefined) }).row;
  }

  function conditionBox(key, keyword, help) {
    const box = h("div", { class: "fw-condition", dataset: { condition: keyword } });
    const fields = store.conditionFields(key);
    const holder = h("div");
    if (!fields.length) {
      box.append(h("p", { class: "small text-body-secondary mb-0", text: S.condition_no_fields }));
      return box;
    }
    box.append(h("p", { class: "form-text mt-0", text: help }), holder);
    mountConditionEditor(holder, {
      fields, value: store.schema(key)[keyword] || null, strings: conditionStrings, locale: store.locale,
      onChange: (tree) => store.setCondition(getKey(), keyword, tree),
    });
    return box;
  }

  store.addEventListener("select", render);
  store.addEventListener("change", (event) => {
    if (event.detail.structural && !ownEdit) render();
  });
  store.addEventListener("problems", renderProblems);
  render();
  void publishedSchema;
  return { render };
}
