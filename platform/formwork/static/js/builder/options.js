// The options editor of single/multiple choice fields: titles in English and 中文, a colour
// each, add / remove / reorder. An option's value (what records store) follows its English
// title until it is published; after that it never changes.
"use strict";

import { fmt, h, uid } from "./dom.js";
import { optionValueFor } from "./keys.js";

export const OPTION_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"];

export function optionsEditor(store, getKey, S, announce) {
  const box = h("div", { class: "fw-options" });
  const listId = uid("fw-options");

  function current() {
    return store.options(store.schema(getKey()));
  }

  function write(options) {
    store.setOptions(getKey(), options);
  }

  function render(focus = null) {
    const options = current();
    const rows = options.map((option, index) => {
      const published = store.isPublishedOption(getKey(), option.value);
      const n = index + 1;
      const color = h("input", {
        type: "color", class: "form-control form-control-color form-control-sm", value: option.color || OPTION_COLORS[index % OPTION_COLORS.length],
        "aria-label": fmt(S.option_color, { n }), title: S.option_color_title, dataset: { role: "color" },
      });
      color.addEventListener("input", () => {
        const next = current();
        next[index].color = color.value;
        write(next);
      });
      const en = h("input", { type: "text", class: "form-control form-control-sm", lang: "en", value: option.titles.en || "",
        "aria-label": fmt(S.option_title_en, { n }), placeholder: "English", dataset: { role: "title-en" } });
      en.addEventListener("input", () => {
        const next = current();
        const before = next[index];
        const auto = !store.isPublishedOption(getKey(), before.value)
          && (before.value === optionValueFor(before.titles.en || "") || /^option_\d+$/.test(before.value));
        before.titles.en = en.value;
        if (auto && optionValueFor(en.value)) {
          const value = store.optionValue(getKey(), en.value, before.value);
          if (value !== before.value) {
            const schema = store.schema(getKey());
            if (schema.default === before.value) schema.default = value;
            before.value = value;
            valueText.textContent = value;
          }
        }
        write(next);
      });
      const zh = h("input", { type: "text", class: "form-control form-control-sm", lang: "zh-CN", value: option.titles["zh-CN"] || "",
        "aria-label": fmt(S.option_title_zh, { n }), placeholder: "中文", dataset: { role: "title-zh" } });
      zh.addEventListener("input", () => {
        const next = current();
        next[index].titles["zh-CN"] = zh.value;
        write(next);
      });
      const valueText = h("code", { class: "fw-option-value", title: published ? S.option_value_published : S.option_value_help, text: option.value });
      const up = h("button", { type: "button", class: "btn btn-sm btn-light", disabled: index === 0, "aria-label": fmt(S.option_up, { n }), dataset: { action: "option-up" },
        onclick: () => { const next = current(); next.splice(index - 1, 0, next.splice(index, 1)[0]); write(next); render(`[data-index="${index - 1}"] [data-action="option-up"]`); announce(fmt(S.option_moved, { n: index })); } },
      h("span", { "aria-hidden": "true", text: "↑" }));
      const down = h("button", { type: "button", class: "btn btn-sm btn-light", disabled: index === options.length - 1, "aria-label": fmt(S.option_down, { n }), dataset: { action: "option-down" },
        onclick: () => { const next = current(); next.splice(index + 1, 0, next.splice(index, 1)[0]); write(next); render(`[data-index="${index + 1}"] [data-action="option-down"]`); announce(fmt(S.option_moved, { n: index + 2 })); } },
      h("span", { "aria-hidden": "true", text: "↓" }));
      const remove = h("button", { type: "button", class: "btn btn-sm btn-light text-danger", "aria-label": fmt(S.option_remove, { n }), dataset: { action: "option-remove" },
        onclick: () => { const next = current(); next.splice(index, 1); write(next); render('[data-action="option-add"]'); announce(S.option_removed); } },
      h("span", { "aria-hidden": "true", text: "✕" }));
      return h("li", { class: "fw-option-row", dataset: { index: String(index) } },
        color, h("div", { class: "fw-option-titles" }, en, zh, valueText), h("div", { class: "btn-group btn-group-sm" }, up, down, remove));
    });
    const add = h("button", { type: "button", class: "btn btn-sm btn-outline-primary", dataset: { action: "option-add" }, text: S.option_add,
      onclick: () => {
        const next = current();
        const n = next.length + 1;
        const value = store.optionValue(getKey(), "", null);
        next.push({ value, titles: { en: `Option ${n}`, "zh-CN": `选项${n}` }, color: OPTION_COLORS[(n - 1) % OPTION_COLORS.length] });
        write(next);
        render(`[data-index="${n - 1}"] [data-role="${store.locale === "en" ? "title-en" : "title-zh"}"]`);
        announce(S.option_added);
      } });
    box.replaceChildren(
      h("ol", { class: "list-unstyled mb-2", id: listId }, rows),
      add,
    );
    if (focus) {
      const target = box.querySelector(focus);
      if (target) { target.focus(); if (target.select) target.select(); }
    }
  }

  render();
  return box;
}
