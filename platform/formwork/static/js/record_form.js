// The record form: live visibility and requiredness (x-visible-if / x-required-if) and
// subform rows. The server re-validates everything; this only mirrors what it will decide.
//
// Inputs are read the way the engine reads HTML input (form_engine.fields …coerce), so a
// condition sees what the server will see: trimmed text, numbers with separators and
// currency signs, ticked boxes, chosen options. A hidden field is disabled, so it is not
// posted: fields depending on it see it as empty (an unticked checkbox as false), and the
// hidden set is recomputed until it no longer changes — the same fixed point the server
// reaches from the posted values.
import { evaluate } from "./conditions.js";

const configBlock = document.getElementById("record-form-config");
const form = document.querySelector("form[data-record-form]");

const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/; // eslint-disable-line no-control-regex
const SPACES = /[\s\u00a0\u2009\u202f_']+/g;
const GROUPED = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NOISE = {
  money: /CN¥|US\$|HK\$|JP¥|RMB|CNY|USD|EUR|GBP|HKD|JPY|[¥$€£元]/gi,
  percent: /%/g,
  rating: /星|分|stars?/gi,
  nps: null,
  number: null,
};
const SEPARATORS = /[;；,，、\n]/;
const MAX_NUMBER = 1e15;

const fold = (text) => text.normalize("NFKC").replace(/\u2212/g, "-").trim();

function text(raw) {
  if (raw === null || raw === undefined) return null;
  const value = raw.trim();
  if (!value) return null;
  return CONTROL.test(value) ? undefined : value; // undefined: unreadable → absent
}

function parseNumber(raw, type) {
  let value = text(raw);
  if (!value) return null;
  if (NOISE[type]) value = fold(value).replace(NOISE[type], "");
  let compact = fold(value).replace(SPACES, "");
  if (compact.includes(",")) {
    if (!GROUPED.test(compact)) return null;
    compact = compact.replace(/,/g, "");
  }
  if (!NUMBER.test(compact)) return null;
  const digits = compact.replace(/^[+-]/, "");
  if (!/[.eE]/.test(digits) && digits.replace(/^0+/, "").length > 16) return null;
  const number = Number(compact);
  if (!Number.isFinite(number) || Math.abs(number) > MAX_NUMBER) return null;
  if (type === "money" && Math.round(number * 100) / 100 !== number) return null;
  if ((type === "rating" || type === "nps") && !Number.isInteger(number)) return null;
  return number;
}

function parseId(raw) {
  const value = text(raw === null || raw === undefined ? null : fold(raw));
  if (!value) return null;
  const digits = value.replace(/^#/, "");
  return /^\d{1,18}$/.test(digits) ? Number(digits) : null;
}

function phone(value, region) {
  const folded = fold(value);
  let compact = folded.replace(/[\s\-().·]/g, "");
  if (region === "intl") {
    if (compact.startsWith("00")) compact = `+${compact.slice(2)}`;
    return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : folded;
  }
  for (const prefix of ["+86", "0086"]) {
    if (compact.startsWith(prefix)) compact = compact.slice(prefix.length);
  }
  if (/^1[3-9]\d{9}$/.test(compact)) return compact;
  if (/^0\d{9,11}$/.test(compact)) {
    const area = "12".includes(compact[1]) ? 3 : 4;
    const joined = `${compact.slice(0, area)}-${compact.slice(area)}`;
    if (/^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/.test(joined)) return joined;
  }
  return folded;
}

// The value the engine would store for one input field, from the controls named `name`.
function readValue(scope, name, spec) {
  const all = [...scope.querySelectorAll("[name]")].filter((el) => el.name === name);
  const values = all.filter((el) => !el.disabled && ((el.type !== "checkbox" &&
    el.type !== "radio") || el.checked));
  const single = () => {
    if (!values.length) return null;
    if (values[0].tagName === "SELECT" && values[0].multiple) {
      return [...values[0].selectedOptions].map((o) => o.value);
    }
    return values.length === 1 ? values[0].value : values.map((el) => el.value);
  };
  const type = spec.type;
  if (type === "checkbox") return values.length > 0;
  if (type === "address") {
    const parts = {};
    for (const part of ["province", "city", "district", "detail"]) {
      const input = scope.querySelector(`[name="${CSS.escape(`${name}-${part}`)}"]`);
      const value = input && !input.disabled ? text(input.value) : null;
      if (value) parts[part] = value;
    }
    return Object.keys(parts).length ? parts : null;
  }
  const raw = single();
  if (Array.isArray(raw) && !spec.multiple) return null; // the engine refuses two values
  if (spec.multiple || type === "multiselect") {
    const list = (raw === null ? [] : [].concat(raw)).map(text).filter(Boolean);
    if (type === "link") {
      const ids = [...new Set(list.map(parseId))];
      return ids.includes(null) || !ids.length ? null : ids;
    }
    return list.length ? [...new Set(list)] : null;
  }
  if (type === "tags") {
    const list = (text(raw) || "").split(SEPARATORS).map((s) => s.trim()).filter(Boolean);
    return list.length ? [...new Set(list)] : null;
  }
  if (type in NOISE) return parseNumber(raw, type);
  if (type === "member" || type === "link") return parseId(raw);
  const value = text(raw);
  if (!value) return null;
  if (type === "email") {
    const folded = fold(value);
    const at = folded.lastIndexOf("@");
    return at < 0 ? folded : `${folded.slice(0, at)}@${folded.slice(at + 1).toLowerCase()}`;
  }
  if (type === "phone") return phone(value, spec.region);
  if (type === "url" && !value.includes("://") && /^[^\s/:]+\.[^\s/:]+/.test(value)) {
    return `https://${value}`;
  }
  if (type === "date") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
  if (type === "datetime") {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(value);
    return match ? `${match[1]}T${match[2]}${match[3] || ":00"}Z` : null;
  }
  if (type === "textarea") return value.replace(/\r\n?/g, "\n");
  return value;
}

function readRows(element, spec) {
  const rows = [];
  for (const row of element.querySelectorAll("[data-rows] > [data-row]")) {
    const values = {};
    for (const column of spec.columns) {
      const input = row.querySelector(`[name$="-${CSS.escape(column)}"]`);
      if (!input) continue;
      const value = input.type === "checkbox" ? input.checked : input.value.trim();
      if (value) values[column] = value;
    }
    if (Object.keys(values).length) rows.push(values);
  }
  return rows.length ? rows : null;
}

function start() {
  const config = JSON.parse(configBlock.textContent);
  const fields = config.fields;
  const elements = new Map();
  for (const element of form.querySelectorAll("[data-field]")) {
    elements.set(element.dataset.field, element);
  }
  const context = { kinds: config.kinds, today: config.today };
  const visibleKeys = Object.keys(config.visibleIf);

  // Input values as the server will read them, with the `hidden` fields not posted.
  function collect(hidden) {
    const data = {};
    for (const [key, spec] of Object.entries(fields)) {
      if (!spec.input) continue;
      if (hidden.has(key)) {
        if (spec.type === "checkbox") data[key] = false;
        continue;
      }
      const element = elements.get(key);
      if (!element) continue;
      const value = spec.type === "subform" ? readRows(element, spec) : readValue(element, key, spec);
      if (value !== null && value !== undefined) data[key] = value;
    }
    return data;
  }

  function update() {
    let hidden = new Set();
    for (let pass = 0; pass <= visibleKeys.length; pass += 1) {
      const data = collect(hidden);
      const next = new Set(visibleKeys.filter((k) => !evaluate(config.visibleIf[k], data, context)));
      const same = next.size === hidden.size && [...next].every((k) => hidden.has(k));
      hidden = next;
      if (same) break;
    }
    for (const [key, element] of elements) {
      const hide = hidden.has(key);
      if (element.hidden !== hide) {
        element.hidden = hide;
        if ("disabled" in element) element.disabled = hide;
      }
    }
    const data = collect(hidden);
    for (const [key, condition] of Object.entries(config.requiredIf)) {
      const required = !hidden.has(key) && evaluate(condition, data, context);
      for (const marker of form.querySelectorAll(`[data-required-marker="${CSS.escape(key)}"]`)) {
        marker.hidden = !required;
      }
    }
  }

  function addRow(key) {
    const template = form.querySelector(`template[data-row-template="${CSS.escape(key)}"]`);
    const body = elements.get(key)?.querySelector("[data-rows]");
    if (!template || !body) return;
    const pattern = new RegExp(`^${key}-(\\d+)-`);
    let next = 0;
    for (const input of body.querySelectorAll("[name]")) {
      const match = pattern.exec(input.name);
      if (match) next = Math.max(next, Number(match[1]) + 1);
    }
    const row = template.content.firstElementChild.cloneNode(true);
    for (const node of [row, ...row.querySelectorAll("*")]) {
      for (const attr of ["name", "id", "for", "aria-describedby", "aria-labelledby"]) {
        const value = node.getAttribute(attr);
        if (value && value.includes("__index__")) {
          node.setAttribute(attr, value.replaceAll("__index__", String(next)));
        }
      }
    }
    body.append(row);
    row.querySelector("input:not([type=hidden]), select, textarea")?.focus();
    update();
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const add = target?.closest("[data-add-row]");
    if (add) {
      addRow(add.dataset.addRow);
      return;
    }
    const remove = target?.closest("[data-remove-row]");
    if (remove) {
      remove.closest("[data-row]")?.remove();
      update();
    }
  });
  update();
  form.dataset.ready = "true";
}

if (configBlock && form) start();
