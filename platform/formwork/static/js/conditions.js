// The condition language in the browser: the same results as form_engine.conditions.evaluate.
//
// A condition is the canonical JSON of a parsed tree (form_engine.conditions.to_json):
// {"op": [args]}, {"var": "key"} or {"var": ["key", default]}, scalars, and arrays for the
// list operand of `in` / `contains_any`. Field values are read through their kind (the
// field's SQL kind: text, number, integer, boolean, date, datetime, json; none = untyped),
// exactly as form_engine/conditions/values.py reads them:
//   * missing, null and wrong-typed values read as null;
//   * a comparison with a null operand is false (`!=` included); `!` negates a result;
//   * numbers compare by value, text by Unicode code point, dates/datetimes as ISO text,
//     booleans only with == / !=; values of different types are never equal;
//   * `in` / `contains_any` use the same typed equality (1 == 1.0, never "1" or true).
// Known limit (documented in Python too): integers beyond ±2**53 are doubles here.
"use strict";

const DATE_RE = /^[0-9]{4}-[01][0-9]-[0-3][0-9]$/;
const DATETIME_RE = /^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$/;
const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);
const FLIPPED = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=" };
const DAY_MS = 86400000;

const own = (object, key) => object !== null && typeof object === "object" &&
  Object.prototype.hasOwnProperty.call(object, key);

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

function isOp(node, name) {
  return node !== null && typeof node === "object" && !Array.isArray(node) && own(node, name) &&
    Object.keys(node).length === 1;
}

function opOf(node) {
  const name = Object.keys(node)[0];
  const raw = node[name];
  if (Array.isArray(raw)) return [name, raw];
  if ((raw === null || raw === undefined) && name === "today") return [name, []];
  return [name, [raw]];
}

// values.read: the comparable value of a stored value for a field of `kind`.
export function read(value, kind) {
  if (value === undefined) return null;
  if (kind === null || kind === undefined) return value;
  if (kind === "number" || kind === "integer") return isNumber(value) ? value : null;
  if (kind === "text") return typeof value === "string" ? value : null;
  if (kind === "boolean") return typeof value === "boolean" ? value : null;
  if (kind === "date") return typeof value === "string" && DATE_RE.test(value) ? value : null;
  if (kind === "datetime") {
    return typeof value === "string" && DATETIME_RE.test(value) ? value : null;
  }
  return value; // json: the raw value
}

// values.same: typed equality for in / contains_any.
export function same(left, right) {
  if (typeof left === "boolean" || typeof right === "boolean") {
    return typeof left === "boolean" && typeof right === "boolean" && left === right;
  }
  if (isNumber(left) && isNumber(right)) return left === right;
  if (typeof left === "string" && typeof right === "string") return left === right;
  return false;
}

// Text order by code point (JavaScript's < compares UTF-16 units, Python code points).
function compareText(a, b) {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(j);
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  if (i < a.length) return 1;
  return j < b.length ? -1 : 0;
}

// values.compare: left op right; false when either is null or the types differ.
export function compare(op, left, right) {
  if (left === null || left === undefined || right === null || right === undefined) return false;
  if (typeof left === "boolean" || typeof right === "boolean") {
    if (typeof left !== "boolean" || typeof right !== "boolean") return false;
    if (op === "==") return left === right;
    return op === "!=" && left !== right;
  }
  let order;
  if (isNumber(left) && isNumber(right)) {
    order = left < right ? -1 : left > right ? 1 : 0;
  } else if (typeof left === "string" && typeof right === "string") {
    order = compareText(left, right);
  } else {
    return false;
  }
  switch (op) {
    case "==": return order === 0;
    case "!=": return order !== 0;
    case "<": return order < 0;
    case "<=": return order <= 0;
    case ">": return order > 0;
    default: return order >= 0;
  }
}

export function isEmpty(value) {
  return value === null || value === undefined || value === "" ||
    (Array.isArray(value) && value.length === 0);
}

function jsonEqual(left, right) {
  if (left === undefined) left = null;
  if (right === undefined) right = null;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, i) => jsonEqual(item, right[i]));
  }
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(left) && isObject(right)) {
    const keys = Object.keys(left);
    const other = Object.keys(right);
    return keys.length === other.length && keys.every((k) => own(right, k)) &&
      keys.every((k) => jsonEqual(left[k], right[k]));
  }
  if (left === null || right === null) return left === null && right === null;
  return same(read(left, null), read(right, null));
}

function pad(number, width) {
  return String(number).padStart(width, "0");
}

// values.days_since_as_date: days_since(x) op n  ⇔  date(x) op' (today - n).
function daysSinceAsDate(op, days, today) {
  if (op === ">") {
    op = ">=";
    days += 1;
  } else if (op === "<") {
    op = "<=";
    days -= 1;
  }
  const [y, m, d] = today.split("-").map(Number);
  const start = new Date(0);
  start.setUTCFullYear(y, m - 1, d);
  const moment = new Date(start.getTime() - days * DAY_MS);
  const year = moment.getUTCFullYear();
  let bound;
  if (Number.isNaN(year) || year < 1 || year > 9999) {
    bound = days > 0 ? "0000-00-00" : "9999-99-99"; // Python's date overflows there
  } else {
    bound = `${pad(year, 4)}-${pad(moment.getUTCMonth() + 1, 2)}-${pad(moment.getUTCDate(), 2)}`;
  }
  return [FLIPPED[op], bound];
}

function dateOf(value) {
  if (typeof value !== "string") return null;
  if (DATE_RE.test(value)) return value;
  return DATETIME_RE.test(value) ? value.slice(0, 10) : null;
}

function localToday() {
  const now = new Date();
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1, 2)}-${pad(now.getDate(), 2)}`;
}

class Evaluation {
  constructor(record, context) {
    this.record = record || {};
    this.kinds = context.kinds || null;
    this.today = context.today || localToday();
    this.previous = context.previous || null;
  }

  kindOf(name) {
    return this.kinds && own(this.kinds, name) ? this.kinds[name] : null;
  }

  field(name) {
    return own(this.record, name) ? this.record[name] : null;
  }

  truth(node) {
    if (node === null || typeof node !== "object") return node === true;
    if (Array.isArray(node)) return false; // a list constant
    const [name, args] = opOf(node);
    if (name === "var") return this.value(node) === true;
    if (name === "and") return args.every((arg) => this.truth(arg));
    if (name === "or") return args.some((arg) => this.truth(arg));
    if (name === "!") return !this.truth(args[0]);
    if (COMPARISONS.has(name)) {
      for (let i = 0; i < args.length - 1; i += 1) {
        if (!this.pair(name, args[i], args[i + 1])) return false;
      }
      return true;
    }
    if (name === "in") return this.inside(args[0], args[1]);
    if (name === "contains_any") return this.containsAny(this.value(args[0]), args[1]);
    if (name === "is_empty") return isEmpty(this.value(args[0]));
    if (name === "not_empty") return !isEmpty(this.value(args[0]));
    if (name === "changed") {
      const before = this.previous && own(this.previous, args[0]) ? this.previous[args[0]] : null;
      return !jsonEqual(before, this.field(args[0]));
    }
    if (name === "was") {
      const before = this.previous && own(this.previous, args[0]) ? this.previous[args[0]] : null;
      return compare("==", read(before, this.kindOf(args[0])), this.value(args[1]));
    }
    throw new Error(`not a predicate: ${name}`);
  }

  value(node) {
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) return node;
    const [name, args] = opOf(node);
    if (name === "var") {
      const key = args[0];
      const value = read(this.field(key), this.kindOf(key));
      const fallback = args.length > 1 ? args[1] : null;
      return value === null && fallback !== null && fallback !== undefined ? fallback : value;
    }
    if (name === "today") return this.today;
    throw new Error(`not a value: ${name}`);
  }

  pair(op, left, right) {
    if (isOp(left, "days_since")) return this.daysSince(op, opOf(left)[1][0], right);
    if (isOp(right, "days_since")) return this.daysSince(FLIPPED[op], opOf(right)[1][0], left);
    return compare(op, this.value(left), this.value(right));
  }

  daysSince(op, field, days) {
    const [dateOp, bound] = daysSinceAsDate(op, days, this.today);
    return compare(dateOp, dateOf(this.value(field)), bound);
  }

  inside(needle, haystack) {
    const wanted = this.value(needle);
    if (Array.isArray(haystack)) {
      return wanted !== null && wanted !== undefined && haystack.some((item) => same(wanted, item));
    }
    const within = this.value(haystack);
    if (Array.isArray(within)) return within.some((item) => same(item, wanted));
    const listField = isOp(haystack, "var") && this.kindOf(opOf(haystack)[1][0]) === "json";
    if (typeof within === "string" && typeof wanted === "string" && !listField) {
      return within.includes(wanted);
    }
    return false;
  }

  containsAny(value, items) {
    if (!Array.isArray(value) || !Array.isArray(items)) return false;
    return value.some((element) => items.some((item) => same(element, item)));
  }
}

// Whether `record` (field key → stored JSON value) satisfies `condition`.
// context: {kinds: {key: kind} | null (untyped), today: "YYYY-MM-DD", previous: record | null}
export function evaluate(condition, record, context = {}) {
  return new Evaluation(record, context).truth(condition);
}
