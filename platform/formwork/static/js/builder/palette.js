// The palette: field types grouped, draggable onto the canvas; click or Enter appends.
"use strict";

import { fmt, h } from "./dom.js";

export const DRAG_TYPE = "application/x-formwork-type";

// A glyph per type (decoration only: names are read out, glyphs are aria-hidden).
const GLYPHS = {
  text: "Aa", textarea: "¶", number: "12", money: "¥", percent: "%", date: "31", datetime: "31:",
  select: "◉", multiselect: "☑", checkbox: "✓", rating: "★", nps: "10",
  email: "@", phone: "☎", url: "//", address: "⌂",
  member: "☺", link: "⇄", lookup: "⇢", rollup: "Σ",
  formula: "fx", subform: "▦", tags: "#", autonumber: "No", attachment: "⇪",
  section: "—", description: "i",
};

export function mountPalette(container, store, S, { onAdd, announce }) {
  const groups = new Map();
  for (const type of store.catalogue.values()) {
    if (!groups.has(type.group)) groups.set(type.group, []);
    groups.get(type.group).push(type);
  }
  const parts = [
    h("h2", { class: "h6 fw-builder-heading", id: "fw-palette-title", text: S.palette_title }),
    h("p", { class: "small text-body-secondary mb-2", id: "fw-palette-help", text: S.palette_help }),
  ];
  for (const [group, types] of groups) {
    const headingId = `fw-palette-${group}`;
    parts.push(h("h3", { class: "fw-palette-group", id: headingId, text: S[`group_${group}`] || group }));
    parts.push(h("ul", { class: "fw-palette-list list-unstyled", "aria-labelledby": headingId },
      types.map((type) => h("li", {},
        h("button", {
          type: "button", class: "fw-palette-item", draggable: "true",
          dataset: { type: type.key }, "aria-describedby": "fw-palette-help",
          title: fmt(S.palette_add, { type: type.title }),
          onclick: () => onAdd(type.key),
          ondragstart: (event) => {
            event.dataTransfer.setData(DRAG_TYPE, type.key);
            event.dataTransfer.setData("text/plain", type.title);
            event.dataTransfer.effectAllowed = "copy";
            document.body.classList.add("fw-dragging");
          },
          ondragend: () => document.body.classList.remove("fw-dragging"),
        },
        h("span", { class: "fw-glyph", "aria-hidden": "true", text: GLYPHS[type.key] || "·" }),
        h("span", { class: "fw-palette-name", text: type.title })))),
    ));
  }
  container.replaceChildren(...parts);
  void announce;
}
