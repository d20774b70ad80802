// Field keys: generated from labels exactly as form_engine.dialect.field_key_for does, and
// renamed (while never published) together with every reference to them.
"use strict";

export const KEY_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** "Total spent" → total_spent; a label without ASCII letters (客户名称) → field_1, field_2 … */
export function fieldKeyFor(label, taken) {
  const ascii = String(label || "").normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  let slug = ascii.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  if (slug && !/^[a-z]/.test(slug)) slug = `f_${slug}`;
  slug = slug.slice(0, 56).replace(/_+$/, "");
  if (!/[a-z]/.test(slug.startsWith("f_") ? slug.slice(2) : slug)) slug = "";
  if (slug && !taken.has(slug)) return slug;
  const base = slug || "field";
  let number = slug ? 2 : 1;
  while (taken.has(`${base}_${number}`)) number += 1;
  return `${base}_${number}`;
}

/** An option value from its title: "VIP" → vip; "" when the title has no ASCII letters. */
export function optionValueFor(title) {
  const ascii = String(title || "").normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  const slug = ascii.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60);
  return /[a-z0-9]/.test(slug) ? slug : "";
}

/**
 * The formula with field `oldKey` renamed to `newKey`: {old}, {old.column} and bare `old`
 * (not a function call), never inside "text".
 */
export function renameInFormula(text, oldKey, newKey) {
  if (typeof text !== "string" || !text) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === "\\") { j += 2; continue; }
        if (text[j] === '"') {
          if (text[j + 1] === '"') { j += 2; continue; }
          break;
        }
        j += 1;
      }
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === "{") {
      const close = text.indexOf("}", i);
      if (close > i) {
        const inner = text.slice(i + 1, close).trim();
        const [head, ...rest] = inner.split(".");
        out += head === oldKey ? `{${[newKey, ...rest].join(".")}}` : text.slice(i, close + 1);
        i = close + 1;
        continue;
      }
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (word) {
      const after = text.slice(i + word[0].length);
      const isCall = /^\s*\(/.test(after);
      out += word[0] === oldKey && !isCall ? newKey : word[0];
      i += word[0].length;
      continue;
    }
    out += ch;
    i += 1;
  }
  return out;
}

/** A condition tree with {"var": old} (and changed/was) renamed; a new tree. */
export function renameInCondition(tree, oldKey, newKey) {
  if (Array.isArray(tree)) return tree.map((item) => renameInCondition(item, oldKey, newKey));
  if (tree === null || typeof tree !== "object") return tree;
  const out = {};
  for (const [name, value] of Object.entries(tree)) {
    if (name === "var") {
      if (value === oldKey) out.var = newKey;
      else if (Array.isArray(value) && value[0] === oldKey) out.var = [newKey, ...value.slice(1)];
      else out.var = value;
    } else if (name === "changed" && value === oldKey) {
      out.changed = newKey;
    } else if (name === "was" && Array.isArray(value) && value[0] === oldKey) {
      out.was = [newKey, ...value.slice(1)];
    } else {
      out[name] = renameInCondition(value, oldKey, newKey);
    }
  }
  return out;
}

/** Whether a condition tree reads field `key`. */
export function conditionUses(tree, key) {
  if (Array.isArray(tree)) return tree.some((item) => conditionUses(item, key));
  if (tree === null || typeof tree !== "object") return false;
  return Object.entries(tree).some(([name, value]) => {
    if (name === "var") return value === key || (Array.isArray(value) && value[0] === key);
    return conditionUses(value, key);
  });
}
