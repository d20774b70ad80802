// Settings of relation fields — linked record (关联数据), lookup (引用字段), rollup (汇总字段) —
// and the columns of a subform (子表单).
"use strict";

import { fmt, h } from "./dom.js";
import { checkRow, inputRow, selectRow } from "./controls.js";
import { fieldKeyFor } from "./keys.js";

const NUMERIC = new Set(["number", "integer"]);

export function linkSettings(store, getKey, S) {
  const schema = store.schema(getKey());
  const target = selectRow({
    label: S.link_form, name: "link-form", value: (schema["x-link"] || {}).form || "", placeholder: S.choose_form,
    choices: store.forms.map((f) => ({ value: f.key, text: f.title })),
    help: store.forms.length ? null : S.link_no_forms,
    onChange: (value) => store.update(getKey(), (s) => { s["x-link"] = { ...(s["x-link"] || {}), form: value }; }),
  });
  const multiple = checkRow({
    label: S.link_multiple, checked: Boolean(schema["x-multiple"]), name: "link-multiple",
    onChange: (checked) => store.setLinkMultiple(getKey(), checked),
  });
  return [target.row, multiple.row];
}

export function lookupSettings(store, getKey, S, rerender) {
  const schema = store.schema(getKey());
  const spec = schema["x-lookup"] || {};
  const links = store.order.filter((k) => k !== getKey() && (store.schema(k) || {})["x-field"] === "link");
  const link = selectRow({
    label: S.lookup_link, name: "lookup-link", value: spec.link || "", placeholder: S.choose_field,
    choices: links.map((k) => ({ value: k, text: store.fieldLabel(k) })),
    help: links.length ? null : S.lookup_no_links,
    onChange: (value) => { store.update(getKey(), (s) => { s["x-lookup"] = { link: value, field: "" }; }); rerender(); },
  });
  const linkSchema = spec.link ? store.schema(spec.link) : null;
  const form = linkSchema ? store.forms.find((f) => f.key === (linkSchema["x-link"] || {}).form) : null;
  const field = selectRow({
    label: S.lookup_field, name: "lookup-field", value: spec.field || "", placeholder: S.choose_field,
    choices: form ? form.fields.map((f) => ({ value: f.key, text: f.title })) : [],
    onChange: (value) => store.update(getKey(), (s) => { s["x-lookup"] = { ...(s["x-lookup"] || {}), field: value }; }),
  });
  field.input.disabled = !form;
  return [link.row, field.row];
}

export function rollupSettings(store, getKey, S, rerender) {
  const schema = store.schema(getKey());
  const spec = schema["x-rollup"] || {};
  // Forms with a linked-record field pointing at this form.
  const sources = store.forms.filter((f) => f.fields.some((x) => x.type === "link" && x.link_form === store.formKey));
  const set = (patch) => store.update(getKey(), (s) => { s["x-rollup"] = { ...(s["x-rollup"] || {}), ...patch }; });
  const source = selectRow({
    label: S.rollup_form, name: "rollup-form", value: spec.form || "", placeholder: S.choose_form,
    choices: sources.map((f) => ({ value: f.key, text: f.title })),
    help: sources.length ? null : S.rollup_no_sources,
    onChange: (value) => { store.update(getKey(), (s) => { s["x-rollup"] = { form: value, link: "", agg: (s["x-rollup"] || {}).agg || "count" }; }); rerender(); },
  });
  const form = sources.find((f) => f.key === spec.form);
  const links = form ? form.fields.filter((x) => x.type === "link" && x.link_form === store.formKey) : [];
  if (form && links.length === 1 && !spec.link) {
    spec.link = links[0].key; // the only way those records link here
    set({ link: spec.link });
  }
  const link = selectRow({
    label: S.rollup_link, name: "rollup-link", value: spec.link || "", placeholder: S.choose_field,
    choices: links.map((x) => ({ value: x.key, text: x.title })),
    onChange: (value) => set({ link: value }),
  });
  link.input.disabled = !form;
  const agg = selectRow({
    label: S.rollup_agg, name: "rollup-agg", value: spec.agg || "count",
    choices: [
      { value: "count", text: S.agg_count }, { value: "sum", text: S.agg_sum }, { value: "avg", text: S.agg_avg },
      { value: "min", text: S.agg_min }, { value: "max", text: S.agg_max },
    ],
    onChange: (value) => {
      store.update(getKey(), (s) => {
        const next = { ...(s["x-rollup"] || {}), agg: value };
        if (value === "count") delete next.of;
        s["x-rollup"] = next;
      });
      rerender();
    },
  });
  const rows = [source.row, link.row, agg.row];
  if ((spec.agg || "count") !== "count") {
    const numbers = form ? form.fields.filter((x) => NUMERIC.has(x.kind)) : [];
    const of = selectRow({
      label: S.rollup_of, name: "rollup-of", value: spec.of || "", placeholder: S.choose_field,
      choices: numbers.map((x) => ({ value: x.key, text: x.title })),
      onChange: (value) => set({ of: value }),
    });
    rows.push(of.row);
  }
  return rows;
}

// Column types a subform row may hold (no nested subforms, no relations).
const COLUMN_TYPES = ["text", "number", "money", "percent", "date", "checkbox", "email", "phone"];

export function subformSettings(store, getKey, S, announce, rerender) {
  const schema = store.schema(getKey());
  const items = schema.items || { type: "object", properties: {}, "x-order": [], additionalProperties: false };
  const order = items["x-order"] || Object.keys(items.properties || {});
  const published = store.isPublished(getKey());
  const rows = order.filter((k) => (items.properties || {})[k]).map((column) => {
    const inner = items.properties[column];
    const type = store.catalogue.get(inner["x-field"]);
    const label = inputRow({
      label: fmt(S.column_label, { type: type ? type.title : inner["x-field"] }), value: store.label(inner, column),
      onInput: (value) => store.update(getKey(), (s) => {
        const target = s.items.properties[column];
        if (store.locale === "en") target.title = value;
        else target["x-titles"] = { ...(target["x-titles"] || {}), [store.locale]: value };
      }),
    });
    const remove = h("button", {
      type: "button", class: "btn btn-sm btn-light text-danger", "aria-label": fmt(S.column_remove, { column: store.label(inner, column) }),
      disabled: published,
      title: published ? S.column_published : S.column_remove_title,
      onclick: () => {
        store.update(getKey(), (s) => {
          delete s.items.properties[column];
          s.items["x-order"] = (s.items["x-order"] || []).filter((k) => k !== column);
          if (Array.isArray(s.items.required)) s.items.required = s.items.required.filter((k) => k !== column);
        });
        announce(S.column_removed);
        rerender();
      },
    }, h("span", { "aria-hidden": "true", text: "✕" }));
    return h("li", { class: "d-flex align-items-end gap-2" }, h("div", { class: "flex-grow-1" }, label.row), h("div", { class: "mb-2" }, remove));
  });
  const typeSelect = selectRow({
    label: S.column_type, value: "text", name: "column-type",
    choices: COLUMN_TYPES.map((k) => ({ value: k, text: (store.catalogue.get(k) || {}).title || k })),
    onChange: () => {},
  });
  const add = h("button", {
    type: "button", class: "btn btn-sm btn-outline-primary", text: S.column_add, dataset: { action: "column-add" },
    onclick: () => {
      const typeKey = typeSelect.input.value;
      const type = store.catalogue.get(typeKey);
      store.update(getKey(), (s) => {
        s.items = s.items || { type: "object", properties: {}, "x-order": [], additionalProperties: false };
        s.items.properties = s.items.properties || {};
        const key = fieldKeyFor(type.titles.en || typeKey, new Set(Object.keys(s.items.properties)));
        const fragment = JSON.parse(JSON.stringify(type.fragment));
        fragment.title = type.titles.en || typeKey;
        if (type.titles["zh-CN"]) fragment["x-titles"] = { "zh-CN": type.titles["zh-CN"] };
        s.items.properties[key] = fragment;
        s.items["x-order"] = [...(s.items["x-order"] || []), key];
      });
      announce(S.column_added);
      rerender();
    },
  });
  return [
    h("ol", { class: "list-unstyled mb-2" }, rows.length ? rows : h("li", { class: "small text-body-secondary", text: S.column_none })),
    h("div", { class: "d-flex align-items-end gap-2" }, h("div", { class: "flex-grow-1" }, typeSelect.row), h("div", { class: "mb-2" }, add)),
  ];
}
