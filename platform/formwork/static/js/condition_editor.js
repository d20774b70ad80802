// The shared point-and-click condition editor (list filters, visibility rules, automations).
//
// Conditions are JsonLogic-shaped trees (see form_engine/conditions): this module edits
// the part of the language people build by hand — "all of / any of" groups of rules
// "field · operator · value", nested one level — and shows anything else read-only.
//
//   import { mountConditionEditor, describeCondition } from "./condition_editor.js";
//   const editor = mountConditionEditor(container, {fields, value, onChange, strings, locale});
//   editor.getValue();           // the current tree, or null when there is no complete rule
//   editor.setValue(tree);       // show another tree (does not call onChange)
//   editor.destroy();
//   describeCondition(tree, fields, strings, locale)  // "Level is VIP and Orders ≥ 3"
//
// fields: [{key, title, kind, type, options?: [{value, title}]}] where kind is the SQL kind
// (text, number, integer, boolean, date, datetime, json) and type the x-field type.
// strings: translated UI strings; any missing key falls back to DEFAULT_STRINGS (English).
// Every user-supplied text goes through textContent / value, never innerHTML.
"use strict";

export const DEFAULT_STRINGS = Object.freeze({
  match: "Match",
  all_of: "all of the rules",
  any_of_rules: "any of the rules",
  add_rule: "Add rule",
  add_group: "Add group",
  remove_rule: "Remove rule",
  remove_group: "Remove group",
  field: "Field",
  operator: "Operator",
  value: "Value",
  from: "From",
  to: "To",
  and_word: "and",
  or_word: "or",
  days: "days",
  choose_field: "Choose a field…",
  choose_option: "Choose…",
  no_rules: "No rules yet: every record matches.",
  group: "Group",
  tags_hint: "Separate values with commas",
  too_complex: "This condition is too complex to edit here. It is shown as JSON and still applies.",
  start_over: "Replace with a new condition",
  incomplete: "Incomplete rules are ignored until they have a value.",
  yes: "Yes",
  no: "No",
  // operators
  op_eq: "equals",
  op_ne: "does not equal",
  op_contains: "contains",
  op_is: "is",
  op_is_not: "is not",
  op_any_of: "is any of",
  op_contains_any: "contains any of",
  op_empty: "is empty",
  op_not_empty: "is not empty",
  op_lt: "<",
  op_le: "≤",
  op_gt: ">",
  op_ge: "≥",
  op_between: "is between",
  op_on: "is on",
  op_not_on: "is not on",
  op_before: "is before",
  op_on_or_before: "is on or before",
  op_after: "is after",
  op_on_or_after: "is on or after",
  op_last_days: "is within the last … days",
  op_older_days: "is more than … days ago",
  op_is_true: "is true",
  op_is_false: "is false",
  // sentences for describeCondition: {field} {value} {value2} {n}
  desc_unary: "{field} {op}",
  desc_binary: "{field} {op} {value}",
  desc_between: "{field} is between {value} and {value2}",
  desc_last_days: "{field} is within the last {n} days",
  desc_older_days: "{field} is more than {n} days ago",
  desc_list_sep: ", ",
  desc_none: "Every record",
  desc_complex: "A custom condition",
});

// Which operators each family of fields offers, in menu order.
const FAMILY_OPS = {
  text: ["eq", "ne", "contains", "empty", "not_empty"],
  select: ["eq", "ne", "any_of", "empty", "not_empty"],
  number: ["eq", "ne", "lt", "le", "gt", "ge", "between", "empty", "not_empty"],
  date: ["eq", "ne", "lt", "le", "gt", "ge", "between", "last_days", "older_days", "empty", "not_empty"],
  datetime: ["lt", "gt", "between", "last_days", "older_days", "empty", "not_empty"],
  boolean: ["is_true", "is_false", "empty"],
  list: ["contains_any", "empty", "not_empty"],
  json: ["empty", "not_empty"],
};

// Operator id → the string key of its label, per family where wording differs.
const OP_LABELS = {
  select: { eq: "op_is", ne: "op_is_not" },
  date: { eq: "op_on", ne: "op_not_on", lt: "op_before", le: "op_on_or_before", gt: "op_after", ge: "op_on_or_after" },
  datetime: { lt: "op_before", gt: "op_after" },
};

const COMPARE = { eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" };
const COMPARE_BACK = Object.fromEntries(Object.entries(COMPARE).map(([k, v]) => [v, k]));
const NO_VALUE = new Set(["empty", "not_empty", "is_true", "is_false"]);
const DATETIME_INPUT = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z?$/;
const DATE_TEXT = /^\d{4}-[01]\d-[0-3]\d$/;

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

/** The family of a field: decides its operators and value inputs. */
export function fieldFamily(field) {
  if (!field) return "json";
  const hasOptions = Array.isArray(field.options) && field.options.length > 0;
  switch (field.kind) {
    case "boolean": return "boolean";
    case "number": case "integer": return "number";
    case "date": return "date";
    case "datetime": return "datetime";
    case "text": return field.type === "select" && hasOptions ? "select" : "text";
    case "json": return field.type === "multiselect" || field.type === "tags" ? "list" : "json";
    default: return "json";
  }
}

/** Operator ids a field offers (``eq``, ``between``, ``last_days`` …). */
export function operatorsFor(field) {
  return FAMILY_OPS[fieldFamily(field)];
}

function opLabel(family, op, s) {
  const key = (OP_LABELS[family] && OP_LABELS[family][op]) || `op_${op}`;
  return s[key] || key;
}

// -- model ⇄ tree -------------------------------------------------------------------
// model: group = {type: "group", logic: "and"|"or", items: [rule | group]}
//        rule  = {type: "rule", field: key|"", op: id|"", value: any, value2: any}

function emptyGroup(logic = "and") {
  return { type: "group", logic, items: [] };
}

function newRule(field) {
  const ops = field ? operatorsFor(field) : [];
  return { type: "rule", field: field ? field.key : "", op: ops[0] || "", value: defaultValue(field, ops[0]), value2: "" };
}

function defaultValue(field, op) {
  if (op === "any_of" || op === "contains_any") return [];
  return "";
}

function isVar(node) {
  return node !== null && typeof node === "object" && !Array.isArray(node) && Object.keys(node).length === 1
    && "var" in node && (typeof node.var === "string" || (Array.isArray(node.var) && node.var.length === 1 && typeof node.var[0] === "string"));
}

function varName(node) {
  return typeof node.var === "string" ? node.var : node.var[0];
}

function isScalar(v) {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

function isDaysSince(node) {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return false;
  const keys = Object.keys(node);
  if (keys.length !== 1 || keys[0] !== "days_since") return false;
  const arg = Array.isArray(node.days_since) ? node.days_since : [node.days_since];
  return arg.length === 1 && isVar(arg[0]);
}

function daysSinceVar(node) {
  const arg = Array.isArray(node.days_since) ? node.days_since[0] : node.days_since;
  return varName(arg);
}

function singleOp(node) {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return null;
  const keys = Object.keys(node);
  if (keys.length !== 1) return null;
  const name = keys[0];
  const raw = node[name];
  return { name, args: Array.isArray(raw) ? raw : [raw] };
}

/** One rule of the editor from a tree node, or null when the node is not a simple rule. */
function ruleFromTree(node, byKey) {
  if (isVar(node)) {
    const field = byKey.get(varName(node));
    return field && fieldFamily(field) === "boolean" ? { type: "rule", field: field.key, op: "is_true", value: "", value2: "" } : null;
  }
  const parsed = singleOp(node);
  if (!parsed) return null;
  const { name, args } = parsed;
  const rule = (key, op, value = "", value2 = "") => {
    const field = byKey.get(key);
    if (!field || !operatorsFor(field).includes(op)) return null;
    return { type: "rule", field: key, op, value, value2 };
  };
  if ((name === "is_empty" || name === "not_empty") && args.length === 1 && isVar(args[0])) {
    return rule(varName(args[0]), name === "is_empty" ? "empty" : "not_empty");
  }
  if (name === "contains_any" && args.length === 2 && isVar(args[0]) && Array.isArray(args[1]) && args[1].every(isScalar)) {
    return rule(varName(args[0]), "contains_any", args[1].map(String));
  }
  if (name === "in" && args.length === 2) {
    if (isVar(args[0]) && Array.isArray(args[1]) && args[1].every(isScalar)) {
      return rule(varName(args[0]), "any_of", args[1].map(String));
    }
    if (typeof args[0] === "string" && isVar(args[1])) {
      const field = byKey.get(varName(args[1]));
      if (field && fieldFamily(field) === "list") return rule(field.key, "contains_any", [args[0]]);
      return rule(varName(args[1]), "contains", args[0]);
    }
    return null;
  }
  if (name in COMPARE_BACK && args.length === 2) {
    const op = COMPARE_BACK[name];
    if (isDaysSince(args[0]) && Number.isInteger(args[1])) {
      if (name === "<=") return rule(daysSinceVar(args[0]), "last_days", String(args[1]));
      if (name === ">") return rule(daysSinceVar(args[0]), "older_days", String(args[1]));
      return null;
    }
    if (!isVar(args[0]) || !isScalar(args[1])) return null;
    const key = varName(args[0]);
    const field = byKey.get(key);
    if (field && fieldFamily(field) === "boolean" && name === "==" && typeof args[1] === "boolean") {
      return rule(key, args[1] ? "is_true" : "is_false");
    }
    if (typeof args[1] === "boolean") return null;
    return rule(key, op, valueForInput(field, args[1]));
  }
  if (name === "<=" && args.length === 3) {
    if (args[0] === 0 && isDaysSince(args[1]) && Number.isInteger(args[2])) {
      return rule(daysSinceVar(args[1]), "last_days", String(args[2]));
    }
    if (isScalar(args[0]) && isVar(args[1]) && isScalar(args[2])
        && typeof args[0] !== "boolean" && typeof args[2] !== "boolean") {
      const field = byKey.get(varName(args[1]));
      return rule(varName(args[1]), "between", valueForInput(field, args[0]), valueForInput(field, args[2]));
    }
  }
  return null;
}

function valueForInput(field, value) {
  if (field && field.kind === "datetime" && typeof value === "string") {
    if (DATE_TEXT.test(value)) return `${value}T00:00`;
    const match = DATETIME_INPUT.exec(value);
    if (match) return `${match[1]}T${match[2]}`;
  }
  return String(value);
}

/** The editor's model for a tree, or null when the tree is beyond what the editor shows. */
export function modelFromTree(tree, fields) {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  if (tree === null || tree === undefined) return emptyGroup();
  const group = (node, depth) => {
    const parsed = singleOp(node);
    if (parsed && (parsed.name === "and" || parsed.name === "or") && Array.isArray(node[parsed.name])) {
      const items = [];
      for (const child of parsed.args) {
        const asRule = ruleFromTree(child, byKey);
        if (asRule) { items.push(asRule); continue; }
        if (depth >= 1) return null;
        const nested = group(child, depth + 1);
        if (!nested) return null;
        items.push(nested);
      }
      return { type: "group", logic: parsed.name, items };
    }
    return null;
  };
  const asGroup = group(tree, 0);
  if (asGroup) return asGroup;
  const single = ruleFromTree(tree, byKey);
  return single ? { type: "group", logic: "and", items: [single] } : null;
}

function numberOrNull(text) {
  if (typeof text === "number") return Number.isFinite(text) ? text : null;
  if (typeof text !== "string" || text.trim() === "") return null;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : null;
}

function constant(field, text) {
  const family = fieldFamily(field);
  if (family === "number") return numberOrNull(text);
  if (typeof text !== "string" || text === "") return null;
  if (family === "date") return DATE_TEXT.test(text) ? text : null;
  if (family === "datetime") {
    const match = DATETIME_INPUT.exec(text);
    return match ? `${match[1]}T${match[2]}:00Z` : null;
  }
  return text;
}

/** The tree of one rule, or null when it is incomplete. */
export function ruleToTree(rule, field) {
  if (!field || !rule.op) return null;
  const v = { var: field.key };
  switch (rule.op) {
    case "empty": return { is_empty: [v] };
    case "not_empty": return { not_empty: [v] };
    case "is_true": return { "==": [v, true] };
    case "is_false": return { "==": [v, false] };
    case "contains": return rule.value === "" ? null : { in: [String(rule.value), v] };
    case "any_of": case "contains_any": {
      let items = Array.isArray(rule.value) ? rule.value : String(rule.value).split(/[,，、]/);
      items = [...new Set(items.map((x) => String(x).trim()).filter(Boolean))];
      if (!items.length) return null;
      return rule.op === "any_of" ? { in: [v, items] } : { contains_any: [v, items] };
    }
    case "between": {
      const a = constant(field, rule.value);
      const b = constant(field, rule.value2);
      return a === null || b === null ? null : { "<=": [a, v, b] };
    }
    case "last_days": case "older_days": {
      const n = numberOrNull(rule.value);
      if (n === null || !Number.isInteger(n) || n < 0 || n > 100000) return null;
      return rule.op === "last_days" ? { "<=": [0, { days_since: [v] }, n] } : { ">": [{ days_since: [v] }, n] };
    }
    default: {
      const name = COMPARE[rule.op];
      const value = constant(field, rule.value);
      return name && value !== null ? { [name]: [v, value] } : null;
    }
  }
}

/** The tree of a group: null when no rule in it is complete. */
export function groupToTree(group, byKey) {
  const parts = [];
  for (const item of group.items) {
    const tree = item.type === "group" ? groupToTree(item, byKey) : ruleToTree(item, byKey.get(item.field));
    if (tree) parts.push(tree);
  }
  return parts.length ? { [group.logic]: parts } : null;
}

// -- describing -----------------------------------------------------------------------

function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

function displayValue(field, value, s, locale) {
  const family = fieldFamily(field);
  if (Array.isArray(value)) return value.map((v) => displayValue(field, v, s, locale)).join(s.desc_list_sep);
  if (Array.isArray(field.options)) {
    const option = field.options.find((o) => String(o.value) === String(value));
    if (option) return option.title;
  }
  if (family === "number") {
    const n = numberOrNull(value);
    if (n !== null) {
      try { return new Intl.NumberFormat(locale || undefined).format(n); } catch { return String(n); }
    }
  }
  if (family === "datetime" && typeof value === "string") return value.replace("T", " ");
  if (family === "text" || family === "list") return `“${value}”`;
  return String(value);
}

function describeRule(rule, field, s, locale) {
  const family = fieldFamily(field);
  const params = { field: field.title || field.key, op: opLabel(family, rule.op, s) };
  if (NO_VALUE.has(rule.op)) return fill(s.desc_unary, params);
  if (rule.op === "between") {
    return fill(s.desc_between, { ...params, value: displayValue(field, rule.value, s, locale), value2: displayValue(field, rule.value2, s, locale) });
  }
  if (rule.op === "last_days") return fill(s.desc_last_days, { ...params, n: rule.value });
  if (rule.op === "older_days") return fill(s.desc_older_days, { ...params, n: rule.value });
  return fill(s.desc_binary, { ...params, value: displayValue(field, rule.value, s, locale) });
}

/** A readable sentence for a condition tree, in the language of ``strings``. */
export function describeCondition(tree, fields, strings = {}, locale = undefined) {
  const s = { ...DEFAULT_STRINGS, ...strings };
  if (tree === null || tree === undefined) return s.desc_none;
  const model = modelFromTree(tree, fields);
  if (!model) return s.desc_complex;
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const group = (g, nested) => {
    const parts = [];
    for (const item of g.items) {
      if (item.type === "group") {
        const inner = group(item, true);
        if (inner) parts.push(inner);
      } else if (ruleToTree(item, byKey.get(item.field))) {
        parts.push(describeRule(item, byKey.get(item.field), s, locale));
      }
    }
    if (!parts.length) return "";
    const text = parts.join(` ${g.logic === "and" ? s.and_word : s.or_word} `);
    return nested && parts.length > 1 ? `(${text})` : text;
  };
  return group(model, false) || s.desc_none;
}

// -- the editor -------------------------------------------------------------------------

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function hiddenLabel(forId, text) {
  return el("label", { className: "visually-hidden", for: forId, text });
}

/**
 * Mount the editor in ``container`` (its content is replaced).
 *
 * Returns ``{getValue, setValue, setFields, destroy}``. ``onChange(tree|null)`` runs after
 * every edit with the tree of the complete rules (null when there is none).
 */
export function mountConditionEditor(container, { fields = [], value = null, onChange = () => {}, strings = {}, locale = undefined } = {}) {
  const s = { ...DEFAULT_STRINGS, ...strings };
  let byKey = new Map(fields.map((f) => [f.key, f]));
  let model = modelFromTree(value, fields);
  let rawTree = model ? null : value; // shown read-only when the editor cannot express it
  if (!model) model = emptyGroup();

  const root = el("div", { className: "fw-cond", role: "group", "aria-label": s.group });
  container.replaceChildren(root);

  function current() {
    return rawTree !== null && rawTree !== undefined ? rawTree : groupToTree(model, byKey);
  }

  function changed() {
    onChange(current());
  }

  function render(focusSelector) {
    root.replaceChildren(rawTree !== null && rawTree !== undefined ? renderRaw() : renderGroup(model, null));
    if (focusSelector) {
      const target = root.querySelector(focusSelector);
      if (target) target.focus();
    }
  }

  function renderRaw() {
    const box = el("div", { className: "fw-cond-raw" });
    box.append(
      el("p", { className: "small text-body-secondary mb-2", role: "note", text: s.too_complex }),
      el("pre", { className: "fw-cond-json border rounded p-2 bg-body-tertiary small mb-2", tabindex: "0", text: JSON.stringify(rawTree, null, 2) }),
    );
    const restart = el("button", { type: "button", className: "btn btn-sm btn-outline-secondary", text: s.start_over, dataset: { action: "start-over" } });
    restart.addEventListener("click", () => {
      rawTree = null;
      model = emptyGroup();
      model.items.push(newRule(null));
      render("select[data-role=field]");
      changed();
    });
    box.append(restart);
    return box;
  }

  function renderGroup(group, parent) {
    const nested = parent !== null;
    const box = el("div", { className: nested ? "fw-cond-group fw-cond-nested border rounded p-2 mb-2" : "fw-cond-group" });
    const head = el("div", { className: "d-flex flex-wrap align-items-center gap-2 mb-2" });
    const logicId = nextId("fw-cond-logic");
    const logic = el("select", { id: logicId, className: "form-select form-select-sm w-auto", dataset: { role: "logic" } });
    for (const [val, text] of [["and", s.all_of], ["or", s.any_of_rules]]) {
      logic.append(el("option", { value: val, text, selected: group.logic === val }));
    }
    logic.addEventListener("change", () => { group.logic = logic.value; changed(); });
    head.append(el("label", { className: "form-label mb-0 small", for: logicId, text: s.match }), logic);
    if (nested) {
      const remove = el("button", { type: "button", className: "btn btn-sm btn-link text-danger ms-auto", text: s.remove_group, dataset: { action: "remove-group" } });
      remove.addEventListener("click", () => {
        parent.items.splice(parent.items.indexOf(group), 1);
        render("button[data-action=add-rule]");
        changed();
      });
      head.append(remove);
    }
    box.append(head);

    const list = el("ol", { className: "list-unstyled mb-2 fw-cond-rules" });
    if (!group.items.length && !nested) {
      list.append(el("li", { className: "small text-body-secondary mb-2", text: s.no_rules }));
    }
    group.items.forEach((item, index) => {
      const li = el("li", { className: "mb-2" });
      li.append(item.type === "group" ? renderGroup(item, group) : renderRule(item, group, index));
      list.append(li);
    });
    box.append(list);

    const actions = el("div", { className: "d-flex flex-wrap gap-2" });
    const addRule = el("button", { type: "button", className: "btn btn-sm btn-outline-primary", text: s.add_rule, dataset: { action: "add-rule" } });
    addRule.addEventListener("click", () => {
      group.items.push(newRule(null));
      render(null);
      focusLastField(group);
    });
    actions.append(addRule);
    if (!nested) {
      const addGroup = el("button", { type: "button", className: "btn btn-sm btn-outline-secondary", text: s.add_group, dataset: { action: "add-group" } });
      addGroup.addEventListener("click", () => {
        const inner = emptyGroup(group.logic === "and" ? "or" : "and");
        inner.items.push(newRule(null));
        group.items.push(inner);
        render(null);
        focusLastField(inner);
      });
      actions.append(addGroup);
    }
    box.append(actions);
    return box;
  }

  // Focus the field menu of the last rule added to ``group`` (after a re-render).
  function focusLastField(group) {
    const rule = group.items[group.items.length - 1];
    const target = rule && rule.type === "rule" ? root.querySelector(`[data-rule-id="${rule.uid}"] select[data-role=field]`) : null;
    if (target) target.focus();
  }

  function renderRule(rule, group, index) {
    if (!rule.uid) rule.uid = nextId("r");
    const field = byKey.get(rule.field);
    const family = fieldFamily(field);
    const row = el("div", { className: "fw-cond-rule d-flex flex-wrap align-items-center gap-2", dataset: { ruleId: rule.uid } });

    const fieldId = nextId("fw-cond-field");
    const fieldSelect = el("select", { id: fieldId, className: "form-select form-select-sm w-auto", dataset: { role: "field" } });
    fieldSelect.append(el("option", { value: "", text: s.choose_field, selected: !rule.field }));
    for (const f of fields) fieldSelect.append(el("option", { value: f.key, text: f.title || f.key, selected: f.key === rule.field }));
    if (rule.field && !field) fieldSelect.append(el("option", { value: rule.field, text: rule.field, selected: true }));
    fieldSelect.addEventListener("change", () => {
      const chosen = byKey.get(fieldSelect.value);
      const fresh = newRule(chosen || null);
      Object.assign(rule, { field: fresh.field, op: fresh.op, value: fresh.value, value2: "" });
      render(`[data-rule-id="${rule.uid}"] select[data-role=operator]`);
      changed();
    });
    row.append(hiddenLabel(fieldId, s.field), fieldSelect);

    if (field) {
      const opId = nextId("fw-cond-op");
      const opSelect = el("select", { id: opId, className: "form-select form-select-sm w-auto", dataset: { role: "operator" } });
      for (const op of operatorsFor(field)) opSelect.append(el("option", { value: op, text: opLabel(family, op, s), selected: op === rule.op }));
      opSelect.addEventListener("change", () => {
        const before = rule.op;
        rule.op = opSelect.value;
        const listy = (op) => op === "any_of" || op === "contains_any";
        if (listy(before) !== listy(rule.op) || rule.op === "last_days" || rule.op === "older_days"
            || before === "last_days" || before === "older_days") {
          rule.value = defaultValue(field, rule.op);
          rule.value2 = "";
        }
        render(`[data-rule-id="${rule.uid}"] select[data-role=operator]`);
        changed();
      });
      row.append(hiddenLabel(opId, s.operator), opSelect);
      const valueBox = renderValue(rule, field, family);
      if (valueBox) row.append(valueBox);
    }

    const remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger", "aria-label": s.remove_rule, title: s.remove_rule, dataset: { action: "remove-rule" } });
    remove.append(el("span", { "aria-hidden": "true", text: "×" }));
    remove.addEventListener("click", () => {
      group.items.splice(index, 1);
      render("button[data-action=add-rule]");
      changed();
    });
    row.append(remove);
    return row;
  }

  function input(rule, prop, type, labelText, extra = {}) {
    const id = nextId("fw-cond-value");
    const box = el("span", { className: "d-inline-flex align-items-center gap-1" });
    const field = el("input", { id, type, className: "form-control form-control-sm w-auto", value: rule[prop], dataset: { role: prop }, ...extra });
    field.addEventListener("input", () => { rule[prop] = field.value; changed(); });
    box.append(hiddenLabel(id, labelText), field);
    return box;
  }

  function optionSelect(rule, field) {
    const id = nextId("fw-cond-value");
    const select = el("select", { id, className: "form-select form-select-sm w-auto", dataset: { role: "value" } });
    select.append(el("option", { value: "", text: s.choose_option, selected: rule.value === "" }));
    for (const option of field.options || []) {
      select.append(el("option", { value: String(option.value), text: option.title, selected: String(option.value) === String(rule.value) }));
    }
    select.addEventListener("change", () => { rule.value = select.value; changed(); });
    return el("span", {}, [hiddenLabel(id, s.value), select]);
  }

  function checkboxes(rule, field) {
    const chosen = new Set(Array.isArray(rule.value) ? rule.value.map(String) : []);
    const set = el("fieldset", { className: "fw-cond-options d-inline-flex flex-wrap gap-2 border rounded px-2 py-1" });
    set.append(el("legend", { className: "visually-hidden", text: s.value }));
    for (const option of field.options || []) {
      const id = nextId("fw-cond-opt");
      const box = el("input", { id, type: "checkbox", className: "form-check-input", value: String(option.value), checked: chosen.has(String(option.value)) });
      box.addEventListener("change", () => {
        const values = [...set.querySelectorAll("input:checked")].map((b) => b.value);
        rule.value = values;
        changed();
      });
      set.append(el("span", { className: "form-check form-check-inline mb-0" }, [box, el("label", { className: "form-check-label", for: id, text: option.title })]));
    }
    return set;
  }

  function renderValue(rule, field, family) {
    if (NO_VALUE.has(rule.op)) return null;
    if (rule.op === "last_days" || rule.op === "older_days") {
      const box = input(rule, "value", "number", s.days, { min: "0", max: "100000", step: "1", inputmode: "numeric" });
      box.append(el("span", { className: "small", "aria-hidden": "true", text: s.days }));
      return box;
    }
    if (rule.op === "any_of" || rule.op === "contains_any") {
      if (Array.isArray(field.options) && field.options.length) return checkboxes(rule, field);
      const id = nextId("fw-cond-value");
      const text = Array.isArray(rule.value) ? rule.value.join(", ") : String(rule.value || "");
      const tags = el("input", { id, type: "text", className: "form-control form-control-sm w-auto", value: text, placeholder: s.tags_hint, dataset: { role: "value" } });
      tags.addEventListener("input", () => {
        rule.value = tags.value.split(/[,，、]/).map((x) => x.trim()).filter(Boolean);
        changed();
      });
      return el("span", {}, [hiddenLabel(id, s.value), tags]);
    }
    const typeOf = { number: "number", date: "date", datetime: "datetime-local" }[family] || "text";
    const extra = family === "number" ? { step: "any", inputmode: "decimal" } : {};
    if (rule.op === "between") {
      return el("span", { className: "d-inline-flex flex-wrap align-items-center gap-1" }, [
        input(rule, "value", typeOf, s.from, extra),
        el("span", { className: "small", "aria-hidden": "true", text: s.and_word }),
        input(rule, "value2", typeOf, s.to, extra),
      ]);
    }
    if (family === "select") return optionSelect(rule, field);
    return input(rule, "value", typeOf, s.value, extra);
  }

  render(null);

  return {
    getValue: current,
    setValue(tree) {
      const next = modelFromTree(tree, fields);
      rawTree = next ? null : tree;
      model = next || emptyGroup();
      render(null);
    },
    setFields(newFields) {
      fields = newFields;
      byKey = new Map(fields.map((f) => [f.key, f]));
      render(null);
    },
    destroy() {
      container.replaceChildren();
    },
  };
}
