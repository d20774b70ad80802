// Tiny DOM helpers for the form designer. User text only ever goes through textContent,
// attribute values or input values — never innerHTML.
"use strict";

/**
 * Create an element: h("button", {class: "btn", text: "Save", onclick: fn}, child, …).
 * Props: class, text, dataset, on<event>, value/checked/selected/disabled (set as
 * properties, after the children so a <select> finds its option), anything else as an
 * attribute (true → empty attribute, false/null/undefined → left out).
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const late = {};
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (["value", "checked", "selected", "disabled", "indeterminate"].includes(name)) late[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  for (const [name, value] of Object.entries(late)) node[name] = value;
  return node;
}

/** "Moved {field} to {n}" with {name} placeholders filled in (no HTML involved). */
export function fmt(template, params = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

let counter = 0;
/** A fresh id for label/aria wiring. */
export function uid(prefix = "fw") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Call fn at most once per `wait` ms after the last call; .flush() runs it now, .cancel() drops it. */
export function debounce(fn, wait) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, wait);
  };
  wrapped.flush = () => {
    if (timer !== null) { clearTimeout(timer); timer = null; fn(); }
  };
  wrapped.cancel = () => { clearTimeout(timer); timer = null; };
  wrapped.pending = () => timer !== null;
  return wrapped;
}

/** Deep copy of plain JSON data. */
export function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
