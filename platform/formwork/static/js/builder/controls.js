// Labelled form controls for the property panel (Bootstrap classes, ids wired to labels).
"use strict";

import { h, uid } from "./dom.js";

/** A labelled <input>; onInput(value) on every keystroke, onChange(value) when committed. */
export function inputRow({ label, value = "", type = "text", help = null, onInput = null, onChange = null, lang = null, attrs = {}, name = null }) {
  const id = uid("fp");
  const helpId = help ? `${id}-help` : null;
  const input = h("input", {
    id, type, class: "form-control form-control-sm", value: value ?? "", lang,
    "aria-describedby": helpId, dataset: name ? { prop: name } : undefined, ...attrs,
  });
  if (onInput) input.addEventListener("input", () => onInput(input.value, input));
  if (onChange) input.addEventListener("change", () => onChange(input.value, input));
  return {
    input,
    row: h("div", { class: "mb-2" },
      h("label", { class: "form-label small mb-1", for: id, text: label }),
      input,
      help ? h("div", { class: "form-text", id: helpId, text: help }) : null),
  };
}

export function textareaRow({ label, value = "", rows = 2, onInput, lang = null, name = null }) {
  const id = uid("fp");
  const area = h("textarea", { id, rows: String(rows), class: "form-control form-control-sm", lang, dataset: name ? { prop: name } : undefined });
  area.value = value ?? "";
  area.addEventListener("input", () => onInput(area.value, area));
  return { input: area, row: h("div", { class: "mb-2" }, h("label", { class: "form-label small mb-1", for: id, text: label }), area) };
}

export function checkRow({ label, checked, onChange, disabled = false, help = null, name = null }) {
  const id = uid("fp");
  const helpId = help ? `${id}-help` : null;
  const box = h("input", { id, type: "checkbox", class: "form-check-input", checked: Boolean(checked), disabled, "aria-describedby": helpId, dataset: name ? { prop: name } : undefined });
  box.addEventListener("change", () => onChange(box.checked, box));
  return {
    input: box,
    row: h("div", { class: "form-check mb-2" }, box,
      h("label", { class: "form-check-label small", for: id, text: label }),
      help ? h("div", { class: "form-text mt-0", id: helpId, text: help }) : null),
  };
}

/** A labelled <select>; choices = [{value, text}]. */
export function selectRow({ label, value, choices, onChange, help = null, name = null, placeholder = null }) {
  const id = uid("fp");
  const helpId = help ? `${id}-help` : null;
  const select = h("select", { id, class: "form-select form-select-sm", "aria-describedby": helpId, dataset: name ? { prop: name } : undefined },
    placeholder !== null ? h("option", { value: "", text: placeholder }) : null,
    choices.map((c) => h("option", { value: c.value, text: c.text })));
  select.value = value ?? "";
  if (select.value !== String(value ?? "") && value) {
    select.append(h("option", { value, text: value }));
    select.value = value;
  }
  select.addEventListener("change", () => onChange(select.value, select));
  return {
    input: select,
    row: h("div", { class: "mb-2" },
      h("label", { class: "form-label small mb-1", for: id, text: label }),
      select,
      help ? h("div", { class: "form-text", id: helpId, text: help }) : null),
  };
}

/** A titled group of rows. */
export function section(title, ...children) {
  const id = uid("fps");
  return h("section", { class: "fw-prop-section", "aria-labelledby": id },
    h("h3", { class: "fw-prop-title", id, text: title }), ...children);
}

/** A number from an input ("" → undefined), as an integer when `integer`. */
export function numberOf(text, integer = false) {
  if (text === "" || text === null || text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  return integer ? Math.trunc(value) : value;
}
