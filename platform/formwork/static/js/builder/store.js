// The working form document and every edit the designer makes to it.
//
// The document is the form-document dialect (docs/form-documents.md): x-order lists the
// active fields, properties holds them, x-archived the removed ones (never dropped, so
// stored values survive), required the required keys. Edits emit "change" events:
// {structural: true} when fields were added, moved, archived or re-keyed.
"use strict";

import { clone } from "./dom.js";
import { OPTION_COLORS } from "./options.js";
import { KEY_PATTERN, conditionUses, fieldKeyFor, optionValueFor, renameInCondition, renameInFormula } from "./keys.js";

const SCHEMA = "https://json-schema.org/draft/2020-12/schema";
// What evolution.archive_field remembers on an archived fragment.
const POSITION = "x-archived-position";
const WAS_REQUIRED = "x-archived-required";
const FORMULA_RESULTS = {
  number: { type: "number" },
  text: { type: "string" },
  boolean: { type: "boolean" },
  date: { type: "string", format: "date" },
};

export function emptyDocument(title) {
  return {
    $schema: SCHEMA, "x-format": 1, type: "object", title: title || "",
    "x-order": [], properties: {}, required: [], additionalProperties: false,
  };
}

export class Store extends EventTarget {
  /**
   * @param state the designer state from GET …/design/state
   * @param locale "en" or "zh-CN"
   */
  constructor(state, locale) {
    super();
    this.locale = locale;
    this.formKey = state.form.key;
    this.publishedVersion = state.form.published_version;
    this.doc = state.draft && typeof state.draft === "object" ? clone(state.draft) : emptyDocument(state.form.title);
    this.normalise();
    this.catalogue = new Map(state.field_types.map((t) => [t.key, t]));
    this.functions = state.functions || [];
    this.forms = state.forms || [];
    this.publishedKeys = new Set(state.published_keys || []);
    this.publishedOptions = state.published_options || {};
    this.selected = null;
    this.problems = [];
    // Fields created in this session whose key still follows their label.
    this.autoKeys = new Set();
    // Labels still holding the palette's default text: {en: bool, zh: bool} per key.
    this.defaultLabels = new Map();
  }

  normalise() {
    const doc = this.doc;
    if (!doc.properties || typeof doc.properties !== "object" || Array.isArray(doc.properties)) doc.properties = {};
    if (!Array.isArray(doc["x-order"])) doc["x-order"] = [];
    if (!Array.isArray(doc.required)) doc.required = [];
    const order = doc["x-order"].filter((k, i, all) => k in doc.properties && all.indexOf(k) === i);
    for (const key of Object.keys(doc.properties)) if (!order.includes(key)) order.push(key);
    doc["x-order"] = order;
  }

  // -- reading ------------------------------------------------------------------------

  get order() { return this.doc["x-order"]; }

  schema(key) { return this.doc.properties[key]; }

  typeOf(key) {
    const schema = this.schema(key) || (this.doc["x-archived"] || {})[key];
    return schema ? this.catalogue.get(schema["x-field"]) : undefined;
  }

  archived() { return Object.entries(this.doc["x-archived"] || {}); }

  isRequired(key) { return this.doc.required.includes(key); }

  isPublished(key) { return this.publishedKeys.has(key); }

  takenKeys() {
    const taken = new Set([...Object.keys(this.doc.properties), ...Object.keys(this.doc["x-archived"] || {})]);
    for (const schema of Object.values(this.doc.properties)) {
      for (const alias of (schema && schema["x-aliases"]) || []) taken.add(alias);
    }
    for (const key of this.publishedKeys) taken.add(key);
    return taken;
  }

  /** A label in `locale`: x-titles[locale] → title → key (as form_engine.dialect.label). */
  label(node, key = "", locale = this.locale) {
    if (!node) return key;
    const titles = node["x-titles"];
    if (locale !== "en" && titles && typeof titles[locale] === "string" && titles[locale]) return titles[locale];
    return typeof node.title === "string" && node.title ? node.title : key;
  }

  fieldLabel(key) { return this.label(this.schema(key) || (this.doc["x-archived"] || {})[key], key); }

  /** The SQL kind a condition reads the field as (null for layout items). */
  sqlKind(key) {
    const schema = this.schema(key);
    const type = schema && this.catalogue.get(schema["x-field"]);
    if (!type || type.layout) return null;
    if (schema["x-field"] === "formula") {
      return { number: "number", text: "text", boolean: "boolean", date: "date" }[schema["x-result"]] || "number";
    }
    if (schema["x-field"] === "link") return schema["x-multiple"] ? "json" : "integer";
    return type.kind || "json";
  }

  options(schema) {
    const enumValues = schema.enum || (schema.items && schema.items.enum) || [];
    const titles = schema["x-option-titles"] || {};
    const colors = schema["x-option-colors"] || {};
    return enumValues.map((value) => ({
      value,
      titles: { ...(titles[value] || {}) },
      color: colors[value] || "",
      title: (titles[value] && (titles[value][this.locale] || titles[value].en)) || String(value),
    }));
  }

  /** Fields for the shared condition editor (active, not layout, not `except`). */
  conditionFields(except) {
    const result = [];
    for (const key of this.order) {
      if (key === except) continue;
      const kind = this.sqlKind(key);
      if (!kind) continue;
      const schema = this.schema(key);
      const entry = { key, title: this.fieldLabel(key), kind, type: schema["x-field"] };
      if (schema["x-field"] === "select" || schema["x-field"] === "multiselect") {
        entry.options = this.options(schema).map((o) => ({ value: o.value, title: o.title }));
      }
      result.push(entry);
    }
    return result;
  }

  problemsFor(key) { return this.problems.filter((p) => p.key === key); }

  // -- events ---------------------------------------------------------------------------

  emit(structural, key = null) {
    this.dispatchEvent(new CustomEvent("change", { detail: { structural, key } }));
  }

  select(key) {
    if (this.selected === key) return;
    if (this.selected && this.selected !== key) {
      this.autoKeys.delete(this.selected);
      this.defaultLabels.delete(this.selected);
    }
    this.selected = key;
    this.dispatchEvent(new CustomEvent("select", { detail: { key } }));
  }

  /** Re-render everything without marking the document changed. */
  refresh() {
    this.dispatchEvent(new CustomEvent("select", { detail: { key: this.selected } }));
  }

  setProblems(problems) {
    this.problems = problems;
    this.dispatchEvent(new CustomEvent("problems"));
  }

  // -- structural edits -------------------------------------------------------------------

  /** Add a field of `typeKey` at `index` of x-order (default: the end); returns its key. */
  addField(typeKey, index = this.order.length) {
    const type = this.catalogue.get(typeKey);
    if (!type) throw new Error(`unknown field type ${typeKey}`);
    const titles = type.titles || {};
    const english = titles.en || type.title;
    // The key comes from the label the person sees: a Chinese one gives field_N.
    const key = fieldKeyFor(this.locale === "en" ? english : titles[this.locale] || english, this.takenKeys());
    const schema = clone(type.fragment);
    schema.title = english;
    if (titles["zh-CN"]) schema["x-titles"] = { "zh-CN": titles["zh-CN"] };
    if (typeKey === "select" || typeKey === "multiselect") this.seedOptions(schema);
    this.doc.properties[key] = schema;
    const at = Math.max(0, Math.min(index, this.order.length));
    this.order.splice(at, 0, key);
    this.autoKeys.add(key);
    this.defaultLabels.set(key, { en: true, zh: Boolean(titles["zh-CN"]) });
    this.emit(true, key);
    return key;
  }

  seedOptions(schema) {
    const seeds = [1, 2].map((n) => ({
      value: `option_${n}`,
      titles: { en: `Option ${n}`, "zh-CN": `选项${n}` },
      color: OPTION_COLORS[n - 1],
    }));
    this.writeOptions(schema, seeds);
  }

  /** Move a field to position `index` (0-based, in the list without the field). */
  moveField(key, index) {
    const from = this.order.indexOf(key);
    if (from < 0) return;
    const to = Math.max(0, Math.min(index, this.order.length - 1));
    if (from === to) return;
    this.order.splice(from, 1);
    this.order.splice(to, 0, key);
    this.emit(true, key);
  }

  /** Archive a field (evolution.archive_field): values stay stored, the field is hidden. */
  archive(key, publishedSchema) {
    const at = this.order.indexOf(key);
    if (at < 0) return;
    // A published field is archived as it was published: archived fields are frozen and
    // the engine compares them with the published version.
    const fragment = clone(publishedSchema || this.schema(key));
    fragment[POSITION] = at;
    if (this.isRequired(key)) fragment[WAS_REQUIRED] = true;
    delete this.doc.properties[key];
    this.order.splice(at, 1);
    this.doc.required = this.doc.required.filter((k) => k !== key);
    this.doc["x-archived"] = { ...(this.doc["x-archived"] || {}), [key]: fragment };
    if (this.selected === key) this.select(null);
    this.emit(true, key);
  }

  /** Bring an archived field back where it was, required again if it was. */
  restore(key) {
    const archived = { ...(this.doc["x-archived"] || {}) };
    const fragment = archived[key];
    if (!fragment) return;
    delete archived[key];
    if (Object.keys(archived).length) this.doc["x-archived"] = archived;
    else delete this.doc["x-archived"];
    const schema = clone(fragment);
    const position = schema[POSITION];
    const wasRequired = schema[WAS_REQUIRED];
    delete schema[POSITION];
    delete schema[WAS_REQUIRED];
    const at = Number.isInteger(position) && position >= 0 && position <= this.order.length ? position : this.order.length;
    this.doc.properties[key] = schema;
    this.order.splice(at, 0, key);
    if (wasRequired) this.doc.required.push(key);
    this.emit(true, key);
  }

  /**
   * Change a never-published key, rewriting every reference (order, required, formulas,
   * conditions, lookups). Returns an error code or null.
   */
  renameKey(oldKey, newKey) {
    if (oldKey === newKey) return null;
    if (this.isPublished(oldKey)) return "key_published";
    if (!KEY_PATTERN.test(newKey)) return "key_invalid";
    const taken = this.takenKeys();
    taken.delete(oldKey);
    if (taken.has(newKey)) return "key_taken";
    const properties = {};
    for (const [key, schema] of Object.entries(this.doc.properties)) properties[key === oldKey ? newKey : key] = schema;
    this.doc.properties = properties;
    this.doc["x-order"] = this.order.map((k) => (k === oldKey ? newKey : k));
    this.doc.required = this.doc.required.map((k) => (k === oldKey ? newKey : k));
    for (const schema of Object.values(properties)) {
      if (typeof schema["x-formula"] === "string") schema["x-formula"] = renameInFormula(schema["x-formula"], oldKey, newKey);
      for (const keyword of ["x-visible-if", "x-required-if"]) {
        if (schema[keyword] && conditionUses(schema[keyword], oldKey)) schema[keyword] = renameInCondition(schema[keyword], oldKey, newKey);
      }
      if (schema["x-lookup"] && schema["x-lookup"].link === oldKey) schema["x-lookup"].link = newKey;
    }
    for (const set of [this.autoKeys]) if (set.has(oldKey)) { set.delete(oldKey); set.add(newKey); }
    if (this.defaultLabels.has(oldKey)) {
      this.defaultLabels.set(newKey, this.defaultLabels.get(oldKey));
      this.defaultLabels.delete(oldKey);
    }
    if (this.selected === oldKey) this.selected = newKey;
    this.emit(true, newKey);
    return null;
  }

  // -- field edits -----------------------------------------------------------------------

  /** Mutate a field's schema with fn(schema); emits a (non-structural) change. */
  update(key, fn) {
    const schema = this.schema(key);
    if (!schema) return;
    fn(schema);
    this.emit(false, key);
  }

  /** Set one keyword; undefined/""/null removes it. */
  setKeyword(key, keyword, value) {
    this.update(key, (schema) => {
      if (value === undefined || value === null || value === "") delete schema[keyword];
      else schema[keyword] = value;
    });
  }

  /**
   * Set a label ("en" → title, else x-titles[locale]); the key follows the label while
   * the field is fresh. Returns the field's (possibly new) key.
   */
  setLabel(key, locale, text) {
    const schema = this.schema(key);
    if (!schema) return key;
    const defaults = this.defaultLabels.get(key);
    if (locale === "en") {
      schema.title = text;
      if (defaults && defaults.zh && schema["x-titles"]) {
        delete schema["x-titles"]["zh-CN"];
        if (!Object.keys(schema["x-titles"]).length) delete schema["x-titles"];
        defaults.zh = false;
      }
      if (defaults) defaults.en = false;
    } else {
      setTranslation(schema, "x-titles", locale, text);
      if (defaults && defaults.en) schema.title = text; // mirrored until typed in English
      if (defaults) defaults.zh = false;
    }
    if (this.autoKeys.has(key) && !this.isPublished(key) && text.trim()) {
      const taken = this.takenKeys();
      taken.delete(key);
      const wanted = fieldKeyFor(text, taken);
      const bothGeneric = /^field_\d+$/.test(key) && /^field_\d+$/.test(wanted);
      if (wanted !== key && !bothGeneric) {
        this.renameKey(key, wanted);
        return wanted;
      }
    }
    this.emit(false, key);
    return key;
  }

  setHelp(key, locale, text) {
    this.update(key, (schema) => {
      if (locale === "en") {
        if (text) schema.description = text;
        else delete schema.description;
      } else {
        setTranslation(schema, "x-descriptions", locale, text);
      }
    });
  }

  setRequired(key, required) {
    const list = this.doc.required.filter((k) => k !== key);
    if (required) list.push(key);
    this.doc.required = list;
    this.emit(false, key);
  }

  setCondition(key, keyword, tree) {
    this.setKeyword(key, keyword, tree === null || tree === undefined ? undefined : tree);
  }

  setFormulaResult(key, result) {
    this.update(key, (schema) => {
      delete schema.type;
      delete schema.format;
      Object.assign(schema, FORMULA_RESULTS[result] || FORMULA_RESULTS.number);
      schema["x-result"] = result;
    });
  }

  setLinkMultiple(key, multiple) {
    this.update(key, (schema) => {
      if (multiple) {
        schema.type = "array";
        schema.items = { type: "integer", minimum: 1 };
        schema.uniqueItems = true;
        schema["x-multiple"] = true;
        delete schema.minimum;
      } else {
        schema.type = "integer";
        schema.minimum = 1;
        delete schema.items;
        delete schema.uniqueItems;
        delete schema["x-multiple"];
      }
    });
  }

  // -- options of select / multiselect ----------------------------------------------------

  /** Replace the options: [{value, titles: {en, zh-CN}, color}]. */
  writeOptions(schema, options) {
    const values = options.map((o) => o.value);
    if (schema["x-field"] === "multiselect") schema.items = { ...(schema.items || { type: "string" }), type: "string", enum: values };
    else schema.enum = values;
    const titles = {};
    const colors = {};
    for (const option of options) {
      const entry = {};
      for (const [locale, text] of Object.entries(option.titles || {})) if (text) entry[locale] = text;
      if (Object.keys(entry).length) titles[option.value] = entry;
      if (option.color) colors[option.value] = option.color;
    }
    if (Object.keys(titles).length) schema["x-option-titles"] = titles;
    else delete schema["x-option-titles"];
    if (Object.keys(colors).length) schema["x-option-colors"] = colors;
    else delete schema["x-option-colors"];
    if ("default" in schema && !values.includes(schema.default)) delete schema.default;
  }

  setOptions(key, options) {
    this.update(key, (schema) => this.writeOptions(schema, options));
  }

  /** A new option's value: from its title, unique, never a value stored data may hold. */
  optionValue(key, title, current = null) {
    const schema = this.schema(key);
    const used = new Set(this.options(schema).map((o) => o.value).filter((v) => v !== current));
    for (const value of this.publishedOptions[key] || []) used.add(value);
    let base = optionValueFor(title);
    if (!base) {
      if (current && !used.has(current)) return current;
      base = "option";
      let n = 1;
      while (used.has(`${base}_${n}`)) n += 1;
      return `${base}_${n}`;
    }
    let value = base;
    let n = 2;
    while (used.has(value)) { value = `${base}_${n}`; n += 1; }
    return value;
  }

  isPublishedOption(key, value) {
    return (this.publishedOptions[key] || []).includes(value);
  }

  // -- form settings ------------------------------------------------------------------------

  setFormLabel(locale, text) {
    if (locale === "en") this.doc.title = text;
    else setTranslation(this.doc, "x-titles", locale, text);
    this.emit(false, null);
  }

  setFormHelp(locale, text) {
    if (locale === "en") {
      if (text) this.doc.description = text;
      else delete this.doc.description;
    } else {
      setTranslation(this.doc, "x-descriptions", locale, text);
    }
    this.emit(false, null);
  }

  /** After a publish: what is now published can no longer be re-keyed. */
  markPublished(version) {
    this.publishedVersion = version;
    for (const key of Object.keys(this.doc.properties)) this.publishedKeys.add(key);
    for (const key of Object.keys(this.doc["x-archived"] || {})) this.publishedKeys.add(key);
    const options = {};
    for (const [key, schema] of Object.entries(this.doc.properties)) {
      if (schema["x-field"] === "select" || schema["x-field"] === "multiselect") options[key] = this.options(schema).map((o) => o.value);
    }
    this.publishedOptions = options;
    this.autoKeys.clear();
    this.defaultLabels.clear();
  }
}

function setTranslation(node, keyword, locale, text) {
  const entries = { ...(node[keyword] || {}) };
  if (text) entries[locale] = text;
  else delete entries[locale];
  if (Object.keys(entries).length) node[keyword] = entries;
  else delete node[keyword];
}
