// The canvas: the form's fields in x-order as a live preview. Select a field to edit it;
// reorder by drag and drop or by keyboard (Alt+↑/↓, move buttons); archive instead of
// delete. Fields dragged from the palette land where they are dropped.
"use strict";

import { describeCondition } from "../condition_editor.js";
import { fmt, h, uid } from "./dom.js";
import { DRAG_TYPE } from "./palette.js";

const DRAG_FIELD = "application/x-formwork-field";

export function mountCanvas(container, store, S, { announce, onArchive, conditionStrings, evaluate }) {
  const head = h("div", { class: "fw-form-head" });
  const list = h("ol", { class: "fw-canvas-list list-unstyled", "aria-labelledby": "fw-canvas-title", "aria-describedby": "fw-canvas-help" });
  const empty = h("div", { class: "fw-canvas-empty", text: S.canvas_empty });
  const indicator = h("li", { class: "fw-drop-indicator", "aria-hidden": "true" });
  const archivedBox = h("div", { class: "fw-archived mt-3" });
  let dragKey = null;
  let trying = false; // "try it" mode: inputs enabled, visibility conditions evaluated
  const values = {};

  container.replaceChildren(
    h("div", { class: "d-flex align-items-center justify-content-between gap-2 mb-2" },
      h("h2", { class: "h6 fw-builder-heading mb-0", id: "fw-canvas-title", text: S.canvas_title }),
      evaluate ? h("div", { class: "form-check form-switch mb-0" },
        h("input", { class: "form-check-input", type: "checkbox", role: "switch", id: "fw-try",
          onchange: (event) => { trying = event.target.checked; render(); } }),
        h("label", { class: "form-check-label small", for: "fw-try", text: S.try_it })) : null),
    h("p", { class: "visually-hidden", id: "fw-canvas-help", text: S.canvas_help }),
    h("div", { class: "fw-canvas-paper" }, head, list, empty),
    archivedBox,
  );

  // -- drag and drop ------------------------------------------------------------------

  const paper = container.querySelector(".fw-canvas-paper");

  function dropIndex(clientY) {
    const items = [...list.querySelectorAll(":scope > li.fw-item")];
    for (let i = 0; i < items.length; i += 1) {
      const box = items[i].getBoundingClientRect();
      if (clientY < box.top + box.height / 2) return i;
    }
    return items.length;
  }

  function accepts(event) {
    const types = [...(event.dataTransfer ? event.dataTransfer.types : [])];
    return types.includes(DRAG_TYPE) || types.includes(DRAG_FIELD);
  }

  paper.addEventListener("dragover", (event) => {
    if (!accepts(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = [...event.dataTransfer.types].includes(DRAG_FIELD) ? "move" : "copy";
    const index = dropIndex(event.clientY);
    const items = [...list.querySelectorAll(":scope > li.fw-item")];
    if (index < items.length) list.insertBefore(indicator, items[index]);
    else list.append(indicator);
    paper.classList.add("fw-drop-target");
  });
  paper.addEventListener("dragleave", (event) => {
    if (!paper.contains(event.relatedTarget)) clearDrop();
  });
  paper.addEventListener("drop", (event) => {
    if (!accepts(event)) return;
    event.preventDefault();
    const index = dropIndex(event.clientY);
    clearDrop();
    const type = event.dataTransfer.getData(DRAG_TYPE);
    const moving = event.dataTransfer.getData(DRAG_FIELD) || dragKey;
    if (type) {
      const key = store.addField(type, index);
      store.select(key);
      announce(fmt(S.added_at, { field: store.fieldLabel(key), position: store.order.indexOf(key) + 1, count: store.order.length }));
    } else if (moving && store.schema(moving)) {
      const from = store.order.indexOf(moving);
      const to = from < index ? index - 1 : index;
      store.moveField(moving, to);
      announce(fmt(S.moved_to, { field: store.fieldLabel(moving), position: store.order.indexOf(moving) + 1, count: store.order.length }));
      focusItem(moving);
    }
  });

  function clearDrop() {
    indicator.remove();
    paper.classList.remove("fw-drop-target");
  }

  // -- keyboard -------------------------------------------------------------------------

  function move(key, delta) {
    const from = store.order.indexOf(key);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= store.order.length) {
      announce(fmt(delta < 0 ? S.already_first : S.already_last, { field: store.fieldLabel(key) }));
      return;
    }
    store.moveField(key, to);
    announce(fmt(S.moved_to, { field: store.fieldLabel(key), position: to + 1, count: store.order.length }));
    focusItem(key);
  }

  function focusItem(key, selector = null) {
    const item = list.querySelector(`li.fw-item[data-key="${CSS.escape(key)}"]`);
    if (!item) return;
    const target = selector ? item.querySelector(selector) : item;
    (target || item).focus();
  }

  // -- rendering ------------------------------------------------------------------------

  function render() {
    const active = document.activeElement;
    const focusKey = active && list.contains(active) ? active.closest("li.fw-item")?.dataset.key : null;
    const focusAction = active && active.dataset ? active.dataset.action : null;
    renderHead();
    const visible = trying && evaluate ? visibility() : null;
    list.replaceChildren(...store.order.map((key) => renderItem(key, visible)));
    empty.hidden = store.order.length > 0;
    renderArchived();
    if (focusKey) focusItem(focusKey, focusAction ? `[data-action="${focusAction}"]` : null);
  }

  function renderHead() {
    const doc = store.doc;
    const help = store.locale !== "en" && doc["x-descriptions"] && doc["x-descriptions"][store.locale] ? doc["x-descriptions"][store.locale] : doc.description;
    head.replaceChildren(h("div", {},
      h("p", { class: "fw-form-title", text: store.label(doc) || S.untitled }),
      help ? h("p", { class: "fw-form-help text-body-secondary", text: help }) : null));
  }

  function applyVisibility() {
    const visible = visibility();
    for (const item of list.querySelectorAll(":scope > li.fw-item")) {
      item.classList.toggle("is-hidden-by-rule", !visible.has(item.dataset.key));
    }
  }

  function visibility() {
    const result = new Set();
    for (const key of store.order) {
      const condition = store.schema(key)["x-visible-if"];
      let shown = true;
      if (condition) {
        try { shown = Boolean(evaluate(condition, values)); } catch { shown = true; }
      }
      if (shown) result.add(key);
    }
    return result;
  }

  function renderItem(key, visible) {
    const schema = store.schema(key);
    const type = store.catalogue.get(schema["x-field"]);
    const label = store.fieldLabel(key);
    const required = store.isRequired(key);
    const problems = store.problemsFor(key);
    const selected = store.selected === key;
    const index = store.order.indexOf(key);
    const controlId = uid("fw-preview");
    const layout = type && type.layout;
    const item = h("li", {
      class: `fw-item${selected ? " is-selected" : ""}${problems.length ? " has-problem" : ""}${layout ? " is-layout" : ""}${visible && !visible.has(key) ? " is-hidden-by-rule" : ""}`,
      tabindex: "0", draggable: trying ? "false" : "true",
      dataset: { key },
      "aria-current": selected ? "true" : null,
      "aria-label": fmt(S.field_item, { field: label, type: type ? type.title : schema["x-field"], position: index + 1, count: store.order.length }),
      onclick: (event) => {
        if (event.target.closest("[data-action]")) return;
        store.select(key);
      },
      onkeydown: (event) => {
        if (event.target !== item) return;
        if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
          event.preventDefault();
          move(key, event.key === "ArrowUp" ? -1 : 1);
        } else if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          store.select(key);
        } else if (!event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
          event.preventDefault();
          const next = store.order[index + (event.key === "ArrowUp" ? -1 : 1)];
          if (next) focusItem(next);
        }
      },
      ondragstart: (event) => {
        if (event.target !== item) return;
        dragKey = key;
        event.dataTransfer.setData(DRAG_FIELD, key);
        event.dataTransfer.setData("text/plain", label);
        event.dataTransfer.effectAllowed = "move";
        item.classList.add("is-dragging");
      },
      ondragend: () => { dragKey = null; item.classList.remove("is-dragging"); clearDrop(); },
    });

    const tools = h("div", { class: "fw-item-tools", role: "group", "aria-label": fmt(S.field_actions, { field: label }) },
      h("button", { type: "button", class: "btn btn-sm btn-light", dataset: { action: "up" }, disabled: index === 0,
        "aria-label": fmt(S.move_up_field, { field: label }), title: S.move_up, onclick: () => move(key, -1) }, h("span", { "aria-hidden": "true", text: "↑" })),
      h("button", { type: "button", class: "btn btn-sm btn-light", dataset: { action: "down" }, disabled: index === store.order.length - 1,
        "aria-label": fmt(S.move_down_field, { field: label }), title: S.move_down, onclick: () => move(key, 1) }, h("span", { "aria-hidden": "true", text: "↓" })),
      h("button", { type: "button", class: "btn btn-sm btn-light text-danger", dataset: { action: "archive" },
        "aria-label": fmt(S.archive_field, { field: label }), title: S.archive, onclick: () => onArchive(key) }, h("span", { "aria-hidden": "true", text: "✕" })),
    );

    const badges = [];
    if (type && type.computed) badges.push(h("span", { class: "badge text-bg-light border", text: S.computed }));
    if (schema["x-unique"]) badges.push(h("span", { class: "badge text-bg-light border", text: S.unique }));
    if (schema["x-internal"] === true) badges.push(h("span", { class: "badge text-bg-light border", dataset: { badge: "internal" }, text: S.staff_only_label }));
    const fields = store.conditionFields(key);
    if (schema["x-visible-if"]) {
      badges.push(h("span", { class: "badge fw-badge-rule", text: fmt(S.shown_when, { condition: describeCondition(schema["x-visible-if"], fields, conditionStrings, store.locale) }) }));
    }
    if (schema["x-required-if"]) {
      badges.push(h("span", { class: "badge fw-badge-rule", text: fmt(S.required_when, { condition: describeCondition(schema["x-required-if"], fields, conditionStrings, store.locale) }) }));
    }

    const help = helpText(schema);
    const body = [];
    if (schema["x-field"] === "section") {
      body.push(h("p", { class: "fw-section-title", text: label }));
      if (help) body.push(h("p", { class: "form-text mt-0", text: help }));
    } else if (schema["x-field"] === "description") {
      body.push(h("p", { class: "fw-description-text mb-0", text: help || label }));
    } else {
      body.push(h("label", { class: "form-label fw-item-label", for: controlId },
        label, required ? h("span", { class: "fw-required", title: S.required, "aria-label": S.required, text: " *" }) : null));
      body.push(preview(key, schema, controlId));
      if (help) body.push(h("div", { class: "form-text", text: help }));
    }
    item.append(
      tools,
      h("div", { class: "fw-item-meta" },
        h("span", { class: "fw-item-type", text: type ? type.title : schema["x-field"] }),
        h("code", { class: "fw-item-key", text: key }),
        ...badges),
      ...body,
      ...problems.map((p) => h("p", { class: "fw-item-problem", text: p.message })),
    );
    return item;
  }

  function helpText(schema) {
    const local = schema["x-descriptions"] && schema["x-descriptions"][store.locale];
    return store.locale !== "en" && local ? local : schema.description || "";
  }

  function control(tag, props, ...children) {
    const disabled = !trying;
    return h(tag, { class: "form-control", disabled, ...props }, ...children);
  }

  function bind(key, node, read) {
    node.addEventListener("input", () => { values[key] = read(node); if (trying) applyVisibility(); });
    node.addEventListener("change", () => { values[key] = read(node); if (trying) applyVisibility(); });
    return node;
  }

  function preview(key, schema, id) {
    const kind = schema["x-field"];
    const number = (node) => (node.value === "" ? null : Number(node.value));
    const text = (node) => node.value || null;
    switch (kind) {
      case "textarea":
        return bind(key, control("textarea", { id, rows: "2", placeholder: S.ph_textarea }), text);
      case "number": case "percent": case "money": {
        const input = bind(key, control("input", { id, type: "number", placeholder: "0" }), number);
        const unit = kind === "money" ? (schema["x-currency"] === "CNY" || !schema["x-currency"] ? "¥" : schema["x-currency"]) : kind === "percent" ? "%" : null;
        if (!unit) return input;
        return h("div", { class: "input-group" }, kind === "money" ? h("span", { class: "input-group-text", text: unit }) : null, input,
          kind === "percent" ? h("span", { class: "input-group-text", text: unit }) : null);
      }
      case "date": return bind(key, control("input", { id, type: "date" }), text);
      case "datetime": return bind(key, control("input", { id, type: "datetime-local" }), text);
      case "email": return bind(key, control("input", { id, type: "email", placeholder: "name@example.com" }), text);
      case "phone": return bind(key, control("input", { id, type: "tel", placeholder: schema["x-phone-region"] === "intl" ? "+44 20 7946 0000" : "138 0013 8000" }), text);
      case "url": return bind(key, control("input", { id, type: "url", placeholder: "https://" }), text);
      case "select": {
        const options = store.options(schema);
        const select = h("select", { id, class: "form-select", disabled: !trying },
          h("option", { value: "", text: S.ph_choose }),
          options.map((o) => h("option", { value: o.value, text: o.title, selected: values[key] === o.value })));
        bind(key, select, (node) => node.value || null);
        return h("div", {}, select, chips(options));
      }
      case "multiselect": {
        const options = store.options(schema);
        const chosen = new Set(values[key] || []);
        const box = h("div", { class: "fw-choices", id, role: "group" },
          options.map((o) => {
            const optionId = uid("fw-opt");
            const input = h("input", { class: "form-check-input", type: "checkbox", id: optionId, value: o.value, disabled: !trying, checked: chosen.has(o.value) });
            input.addEventListener("change", () => {
              values[key] = [...box.querySelectorAll("input:checked")].map((n) => n.value);
              if (trying) applyVisibility();
            });
            return h("div", { class: "form-check form-check-inline" }, input,
              h("label", { class: "form-check-label", for: optionId }, swatch(o.color), o.title));
          }));
        return box;
      }
      case "checkbox": {
        const input = h("input", { class: "form-check-input", type: "checkbox", id: `${id}-box`, disabled: !trying, checked: values[key] === true });
        input.addEventListener("change", () => { values[key] = input.checked; if (trying) applyVisibility(); });
        return h("div", { class: "form-check", id }, input, h("label", { class: "form-check-label", for: `${id}-box`, text: S.ph_yes }));
      }
      case "rating": {
        const max = Number.isInteger(schema.maximum) ? schema.maximum : 5;
        return h("div", { class: "fw-stars", id, "aria-label": fmt(S.ph_rating, { max }) }, "★".repeat(Math.min(max, 10)));
      }
      case "nps":
        return h("div", { class: "fw-nps", id }, [...Array(11).keys()].map((n) => h("span", { class: "fw-nps-cell", text: String(n) })));
      case "address":
        return h("div", { class: "row g-1", id },
          [S.ph_province, S.ph_city, S.ph_district].map((text) => h("div", { class: "col-4" }, h("select", { class: "form-select form-select-sm", disabled: true, "aria-label": text }, h("option", { text })))),
          h("div", { class: "col-12" }, control("input", { type: "text", placeholder: S.ph_address_detail, "aria-label": S.ph_address_detail })));
      case "member":
        return h("select", { id, class: "form-select", disabled: true }, h("option", { text: S.ph_member }));
      case "link": {
        const target = store.forms.find((f) => f.key === (schema["x-link"] || {}).form);
        return control("input", { id, type: "text", placeholder: target ? fmt(S.ph_link, { form: target.title }) : S.ph_link_none });
      }
      case "lookup": case "rollup": case "autonumber":
        return h("div", { class: "fw-computed", id, text: computedText(schema) });
      case "formula":
        return h("div", { class: "fw-computed", id },
          h("span", { class: "fw-computed-sign", "aria-hidden": "true", text: "= " }),
          h("code", { text: schema["x-formula"] || S.ph_formula_empty }));
      case "subform": {
        const columns = Object.entries(((schema.items || {}).properties) || {});
        const order = (schema.items && schema.items["x-order"]) || columns.map(([k]) => k);
        const byKey = Object.fromEntries(columns);
        return h("div", { class: "table-responsive", id },
          h("table", { class: "table table-sm table-bordered mb-0 fw-subform-preview" },
            h("thead", {}, h("tr", {}, order.filter((k) => byKey[k]).map((k) => h("th", { scope: "col", text: store.label(byKey[k], k) })),
              order.length ? null : h("th", { scope: "col", class: "text-body-secondary", text: S.ph_subform_empty }))),
            h("tbody", {}, h("tr", {}, (order.length ? order : [""]).map(() => h("td", { text: " " }))))));
      }
      case "tags":
        return control("input", { id, type: "text", placeholder: S.ph_tags });
      case "attachment":
        return h("div", { class: "fw-upload", id, text: S.ph_attachment });
      default:
        return bind(key, control("input", { id, type: "text", placeholder: S.ph_text }), text);
    }
  }

  function computedText(schema) {
    if (schema["x-field"] === "autonumber") {
      const settings = schema["x-autonumber"] || {};
      const digits = Number.isInteger(settings.digits) ? settings.digits : 5;
      return fmt(S.ph_autonumber, { example: `${settings.prefix || ""}${"1".padStart(digits, "0")}` });
    }
    if (schema["x-field"] === "lookup") return S.ph_lookup;
    return S.ph_rollup;
  }

  function chips(options) {
    if (!options.some((o) => o.color)) return null;
    return h("div", { class: "fw-chips mt-1", "aria-hidden": "true" }, options.map((o) => h("span", { class: "fw-chip" }, swatch(o.color), o.title)));
  }

  function swatch(color) {
    if (!color) return null;
    const dot = h("span", { class: "fw-swatch", "aria-hidden": "true" });
    dot.style.backgroundColor = color; // CSSOM, allowed by the CSP (no style attribute)
    return dot;
  }

  function renderArchived() {
    const archived = store.archived();
    if (!archived.length) {
      archivedBox.replaceChildren();
      return;
    }
    const listId = uid("fw-archived");
    archivedBox.replaceChildren(
      h("details", { class: "fw-archived-details" },
        h("summary", { class: "small fw-semibold", text: fmt(S.archived_title, { count: archived.length }) }),
        h("p", { class: "small text-body-secondary mt-2", id: listId, text: S.archived_help }),
        h("ul", { class: "list-group list-group-flush", "aria-describedby": listId },
          archived.map(([key, schema]) => h("li", { class: "list-group-item d-flex align-items-center justify-content-between gap-2 px-0", dataset: { archivedKey: key } },
            h("span", {}, store.label(schema, key), " ", h("code", { class: "small text-body-secondary", text: key })),
            h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", dataset: { action: "restore" },
              "aria-label": fmt(S.restore_field, { field: store.label(schema, key) }),
              onclick: () => {
                store.restore(key);
                store.select(key);
                announce(fmt(S.restored, { field: store.label(schema, key) }));
              } }, S.restore)))),
      ),
    );
    if (archivedBox.dataset.open === "1") archivedBox.querySelector("details").open = true;
    archivedBox.querySelector("details").addEventListener("toggle", (event) => {
      archivedBox.dataset.open = event.target.open ? "1" : "";
    });
  }

  store.addEventListener("change", render);
  store.addEventListener("select", render);
  store.addEventListener("problems", render);
  render();
  return { render, focusItem };
}
