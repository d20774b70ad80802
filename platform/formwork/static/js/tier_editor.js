// The tier scheme editor (分层方案): target form and field, ordered tiers — key, names in
// English and Chinese, colour and a rule built with the shared condition editor over the
// form's fields and the customer metrics — a fallback tier, a schedule, Preview and Save.
//
// Loaded as a module from /static (the CSP allows no inline script). The page passes its
// data and translated strings as <script type="application/json"> blocks; every request
// carries the CSRF token in the X-CSRFToken header (builder/api.js). User text only ever
// goes through textContent or input values.
"use strict";

import { requestJson } from "./builder/api.js";
import { clone, fmt, h, uid } from "./builder/dom.js";
import { mountConditionEditor } from "./condition_editor.js";
import { clearProblems, showProblems } from "./automations/results.js";

const PALETTE = ["#d4a017", "#8e9aaf", "#2f80ed", "#27ae60", "#9b51e0", "#eb5757", "#f2994a"];
const COLOR = /^#[0-9a-fA-F]{6}$/;

function readJson(id, fallback) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return fallback;
  }
}

function blankTier(index) {
  return { key: "", name: { en: "", "zh-CN": "" }, color: PALETTE[index % PALETTE.length], condition: null };
}

function start() {
  const root = document.getElementById("fw-tier-editor");
  if (!root) return;
  const S = readJson("fw-tier-strings", {});
  const data = readJson("fw-tier-data", {});
  const conditionStrings = readJson("fw-condition-strings", {});
  const locale = root.dataset.locale === "zh-CN" ? "zh-CN" : "en";
  const urls = { ...data.urls };
  const canEdit = Boolean(data.can_edit);
  const saved = data.scheme;
  const forms = data.forms || [];
  const formById = new Map(forms.map((f) => [f.id, f]));

  const state = {
    id: saved ? saved.id : null,
    revision: saved ? saved.revision : null,
    archived: saved ? saved.archived : false,
    dirty: false,
    edits: 0,
    key: saved ? saved.key : "",
    name: saved ? saved.name : "",
    zh: saved && saved.titles ? saved.titles["zh-CN"] || "" : "",
    formId: saved ? saved.form_id : data.default_form_id || (forms[0] ? forms[0].id : null),
    field: saved ? saved.field_key : "",
    schedule: saved ? saved.schedule || "" : "",
  };
  const doc = saved && saved.document && typeof saved.document === "object"
    ? clone(saved.document)
    : { version: 1, tiers: [blankTier(0)], fallback: { key: "", name: { en: "", "zh-CN": "" }, color: "#adb5bd" } };
  if (!Array.isArray(doc.tiers)) doc.tiers = [];
  if (!doc.fallback || typeof doc.fallback !== "object") doc.fallback = { key: "", name: {}, color: "#adb5bd" };
  if (!state.field) {
    const targets = (formById.get(state.formId) || { targets: [] }).targets;
    const preferred = targets.find((t) => t.key === "tier") || targets[0];
    if (preferred) state.field = preferred.key;
  }

  const $ = (role) => root.querySelector(`[data-role=${role}]`);
  const status = $("save-status");
  const alertBox = $("alert");
  const live = $("announce");
  const previewBox = $("preview");
  const saveButton = root.querySelector("[data-action=save]");
  const previewButton = root.querySelector("[data-action=preview]");
  const applyLink = $("apply-link");

  function announce(text) {
    live.textContent = "";
    window.requestAnimationFrame(() => { live.textContent = text; });
  }
  function setStatus(text) { status.textContent = text; }
  function showAlert(text) { alertBox.textContent = text; alertBox.hidden = !text; }
  function changed() {
    state.dirty = true;
    state.edits += 1;
    setStatus(S.status_unsaved);
    refreshHeader();
  }

  // -- controls ----------------------------------------------------------------------------
  function labelled(text, control, pointer, { help = null, className = "mb-2" } = {}) {
    if (!control.id) control.id = uid("fw-tier");
    const box = h("div", { class: className, dataset: pointer !== null ? { pointer } : undefined });
    box.append(h("label", { class: "form-label small mb-1", for: control.id, text }), control);
    if (help) {
      const helpId = uid("fw-tier-help");
      control.setAttribute("aria-describedby", helpId);
      box.append(h("div", { id: helpId, class: "form-text", text: help }));
    }
    return box;
  }

  function textBox(value, onInput, attrs = {}) {
    const input = h("input", { type: "text", class: "form-control form-control-sm", autocomplete: "off", ...attrs });
    input.value = value || "";
    input.addEventListener("input", () => { onInput(input.value); changed(); });
    return input;
  }

  function currentForm() { return formById.get(state.formId) || null; }

  function conditionFields() {
    const form = currentForm();
    const fields = form ? form.fields.map(({ key, title, kind, type, options }) => ({ key, title, kind, type, options })) : [];
    return [...fields, ...(data.metrics || [])];
  }

  // -- basics ----------------------------------------------------------------------------
  function renderBasics() {
    const box = $("basics");
    box.replaceChildren();
    const line = h("div", { class: "row g-2" });
    const name = textBox(state.name, (v) => { state.name = v; }, { maxlength: 100, dataset: { role: "scheme-name" } });
    const zh = textBox(state.zh, (v) => { state.zh = v; }, { maxlength: 100, lang: "zh-CN" });
    line.append(
      h("div", { class: "col-sm-6" }, labelled(S.scheme_name, name, "/name")),
      h("div", { class: "col-sm-6" }, labelled(S.scheme_name_zh, zh, "/titles/zh-CN")),
    );
    box.append(line);
    const key = textBox(state.key, (v) => { state.key = v.trim(); }, { maxlength: 64, class: "form-control form-control-sm font-monospace fw-tier-key", spellcheck: "false" });
    key.disabled = state.id !== null;
    box.append(labelled(S.scheme_key, key, "/key", { help: S.scheme_key_help }));

    const formSelect = h("select", { class: "form-select form-select-sm" });
    formSelect.append(h("option", { value: "", text: S.choose_form }));
    for (const form of forms) formSelect.append(h("option", { value: String(form.id), text: form.title, selected: form.id === state.formId }));
    formSelect.addEventListener("change", () => {
      state.formId = formSelect.value ? Number(formSelect.value) : null;
      const targets = (currentForm() || { targets: [] }).targets;
      state.field = (targets.find((t) => t.key === "tier") || targets[0] || { key: "" }).key;
      changed();
      renderAll();
    });
    const targets = (currentForm() || { targets: [] }).targets;
    const fieldSelect = h("select", { class: "form-select form-select-sm", dataset: { role: "target-field" } });
    fieldSelect.append(h("option", { value: "", text: targets.length ? S.choose_field : S.no_target_fields }));
    for (const target of targets) fieldSelect.append(h("option", { value: target.key, text: target.title, selected: target.key === state.field }));
    if (state.field && !targets.some((t) => t.key === state.field)) fieldSelect.append(h("option", { value: state.field, text: state.field, selected: true }));
    fieldSelect.addEventListener("change", () => { state.field = fieldSelect.value; changed(); renderTierKeys(); });
    const targetLine = h("div", { class: "row g-2" });
    targetLine.append(
      h("div", { class: "col-sm-6" }, labelled(S.target_form, formSelect, "/form")),
      h("div", { class: "col-sm-6" }, labelled(S.target_field, fieldSelect, "/field", { help: S.target_field_help })),
    );
    box.append(targetLine, renderSchedule());
  }

  function renderSchedule() {
    const presets = data.presets || {};
    const kinds = [["none", S.schedule_none, ""], ["daily", S.schedule_daily, presets.daily], ["weekly", S.schedule_weekly, presets.weekly], ["custom", S.schedule_custom, null]];
    let kind = "custom";
    if (!state.schedule) kind = "none";
    else if (state.schedule === presets.daily) kind = "daily";
    else if (state.schedule === presets.weekly) kind = "weekly";
    const set = h("fieldset", { class: "mb-2", dataset: { pointer: "/schedule" } });
    set.append(h("legend", { class: "form-label small mb-1", text: S.schedule }));
    const name = uid("fw-tier-schedule");
    const cron = h("input", { type: "text", class: "form-control form-control-sm font-monospace mt-1", placeholder: "0 4 * * *", "aria-label": S.schedule_cron, dataset: { role: "cron" } });
    cron.value = kind === "custom" ? state.schedule : "";
    cron.hidden = kind !== "custom";
    cron.addEventListener("input", () => { state.schedule = cron.value.trim(); changed(); });
    for (const [value, text, preset] of kinds) {
      const id = uid("fw-tier-sched");
      const radio = h("input", { type: "radio", class: "form-check-input", name, id, value, checked: value === kind });
      radio.addEventListener("change", () => {
        if (!radio.checked) return;
        cron.hidden = value !== "custom";
        state.schedule = value === "custom" ? cron.value.trim() : preset || "";
        changed();
        if (value === "custom") cron.focus();
      });
      set.append(h("div", { class: "form-check form-check-inline" }, radio, h("label", { class: "form-check-label small", for: id, text })));
    }
    set.append(cron, h("div", { class: "form-text", text: S.schedule_help }));
    return set;
  }

  // -- tiers -----------------------------------------------------------------------------
  const keyListId = uid("fw-tier-keys");

  function renderTierKeys() {
    // A select target offers its options as keys.
    let list = document.getElementById(keyListId);
    if (!list) {
      list = h("datalist", { id: keyListId });
      root.append(list);
    }
    list.replaceChildren();
    const target = (currentForm() || { targets: [] }).targets.find((t) => t.key === state.field);
    for (const option of (target && target.options) || []) list.append(h("option", { value: String(option) }));
  }

  function tierFields(tier, pointer) {
    const line = h("div", { class: "row g-2 align-items-end" });
    const key = textBox(tier.key, (v) => { tier.key = v; }, { maxlength: 64, list: keyListId, class: "form-control form-control-sm font-monospace", spellcheck: "false", dataset: { role: "tier-key" } });
    if (!tier.name || typeof tier.name !== "object") tier.name = {};
    const en = textBox(tier.name.en, (v) => { tier.name.en = v; }, { maxlength: 100, dataset: { role: "tier-name-en" } });
    const zh = textBox(tier.name["zh-CN"], (v) => { tier.name["zh-CN"] = v; }, { maxlength: 100, lang: "zh-CN", dataset: { role: "tier-name-zh" } });
    const color = h("input", { type: "color", class: "form-control form-control-sm form-control-color fw-tier-color", dataset: { role: "tier-color" } });
    color.value = COLOR.test(tier.color || "") ? tier.color : "#adb5bd";
    color.addEventListener("input", () => { tier.color = color.value; changed(); });
    const names = h("div", { class: "col-sm-6", dataset: { pointer: `${pointer}/name` } });
    const nameRow = h("div", { class: "row g-2" });
    nameRow.append(
      h("div", { class: "col-6" }, labelled(S.tier_name_en, en, `${pointer}/name/en`, { className: "" })),
      h("div", { class: "col-6" }, labelled(S.tier_name_zh, zh, `${pointer}/name/zh-CN`, { className: "" })),
    );
    names.append(nameRow);
    line.append(
      h("div", { class: "col-sm-3" }, labelled(S.tier_key, key, `${pointer}/key`, { className: "" })),
      names,
      h("div", { class: "col-sm-3" }, labelled(S.tier_color, color, `${pointer}/color`, { className: "" })),
    );
    return line;
  }

  function moveButton(text, label, onclick) {
    return h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "aria-label": label, title: label, onclick }, h("span", { "aria-hidden": "true", text }));
  }

  function renderTiers() {
    const box = $("tiers");
    box.replaceChildren();
    box.append(h("p", { class: "form-text mt-0", text: S.tiers_help }));
    const list = h("ol", { class: "list-unstyled mb-2" });
    doc.tiers.forEach((tier, index) => {
      const pointer = `/tiers/${index}`;
      const n = index + 1;
      const card = h("li", { class: "card mb-2 fw-tier-card", dataset: { pointer, index: String(index) } });
      const head = h("div", { class: "card-header d-flex flex-wrap align-items-center gap-2 py-1" });
      head.append(h("h3", { class: "h6 mb-0 me-auto", text: fmt(S.tier_heading, { n }) }));
      head.append(
        moveButton("↑", fmt(S.move_up_tier, { n }), () => move(index, -1)),
        moveButton("↓", fmt(S.move_down_tier, { n }), () => move(index, 1)),
        h("button", { type: "button", class: "btn btn-sm btn-outline-danger", text: S.remove, "aria-label": fmt(S.remove_tier, { n }), dataset: { action: "remove-tier" }, onclick: () => remove(index) }),
      );
      head.querySelectorAll("button")[0].disabled = index === 0;
      head.querySelectorAll("button")[1].disabled = index === doc.tiers.length - 1;
      const body = h("div", { class: "card-body" });
      body.append(tierFields(tier, pointer));
      const ruleBox = h("div", { class: "mt-2", dataset: { pointer: `${pointer}/condition` } });
      ruleBox.append(h("div", { class: "form-label small mb-1", text: S.tier_rule }));
      const mount = h("div", { class: "fw-tier-rule" });
      ruleBox.append(mount);
      body.append(ruleBox);
      card.append(head, body);
      list.append(card);
      mountConditionEditor(mount, {
        fields: conditionFields(),
        value: tier.condition ?? null,
        strings: conditionStrings,
        locale,
        onChange(tree) {
          tier.condition = tree;
          changed();
        },
      });
    });
    box.append(list);
    const add = h("button", { type: "button", class: "btn btn-sm btn-outline-primary", text: S.add_tier, dataset: { action: "add-tier" } });
    add.addEventListener("click", () => {
      doc.tiers.push(blankTier(doc.tiers.length));
      changed();
      renderTiers();
      announce(fmt(S.tier_added, { n: doc.tiers.length }));
      const cards = box.querySelectorAll(".fw-tier-card");
      cards[cards.length - 1].querySelector("input")?.focus();
    });
    box.append(add);
    lockIfReadOnly();
  }

  function move(index, delta) {
    const target = index + delta;
    if (target < 0 || target >= doc.tiers.length) return;
    const [tier] = doc.tiers.splice(index, 1);
    doc.tiers.splice(target, 0, tier);
    changed();
    renderTiers();
    announce(fmt(S.tier_moved, { n: target + 1 }));
  }

  function remove(index) {
    doc.tiers.splice(index, 1);
    changed();
    renderTiers();
    announce(S.tier_removed);
  }

  function renderFallback() {
    const box = $("fallback");
    box.replaceChildren();
    box.append(h("p", { class: "form-text mt-0", text: S.fallback_help }), tierFields(doc.fallback, "/fallback"));
    lockIfReadOnly();
  }

  function lockIfReadOnly() {
    if (canEdit) return;
    for (const control of root.querySelectorAll("[data-role=editor] input, [data-role=editor] select, [data-role=editor] button")) {
      control.disabled = true;
    }
  }

  function renderAll() {
    renderBasics();
    renderTierKeys();
    renderTiers();
    renderFallback();
    lockIfReadOnly();
  }

  // -- preview -----------------------------------------------------------------------------
  function money(value) {
    try { return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value); } catch { return String(value); }
  }

  function chip(color, title) {
    const svgNs = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 10 10");
    svg.setAttribute("width", "10");
    svg.setAttribute("height", "10");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "fw-tier-dot");
    const dot = document.createElementNS(svgNs, "circle");
    dot.setAttribute("cx", "5");
    dot.setAttribute("cy", "5");
    dot.setAttribute("r", "5");
    dot.setAttribute("fill", COLOR.test(color || "") ? color : "#adb5bd");
    svg.append(dot);
    return h("span", { class: "fw-tier-chip" }, svg, ` ${title}`);
  }

  function renderPreview(result) {
    previewBox.replaceChildren();
    previewBox.hidden = false;
    const summary = result.changed
      ? fmt(S.preview_changes, { changed: result.changed.toLocaleString(locale), up: result.up, down: result.down, new: result.new })
      : S.preview_no_changes;
    previewBox.append(
      h("p", { class: "fw-semibold mb-1", dataset: { role: "preview-total" }, text: fmt(S.preview_total, { count: result.total.toLocaleString(locale) }) }),
      h("p", { class: "small mb-2", dataset: { role: "preview-changes" }, text: summary }),
    );
    const table = h("table", { class: "table table-sm align-middle mb-2", dataset: { role: "preview-table" } });
    const head = h("tr", {}, ...[S.preview_tier, S.preview_now, S.preview_after, S.preview_revenue].map((text, i) => h("th", { scope: "col", class: i ? "text-end" : "", text })));
    table.append(h("thead", {}, head));
    const body = h("tbody");
    for (const tier of result.tiers) {
      body.append(h("tr", { dataset: { tier: tier.key } },
        h("td", {}, chip(tier.color, tier.title)),
        h("td", { class: "text-end", dataset: { role: "now" }, text: tier.current.toLocaleString(locale) }),
        h("td", { class: "text-end fw-semibold", dataset: { role: "after" }, text: tier.proposed.toLocaleString(locale) }),
        h("td", { class: "text-end", text: money(tier.revenue) }),
      ));
    }
    if (result.unassigned) {
      body.append(h("tr", {},
        h("td", { class: "text-body-secondary", text: S.preview_unassigned }),
        h("td", { class: "text-end", text: result.unassigned.toLocaleString(locale) }),
        h("td", { class: "text-end", text: "0" }),
        h("td", { class: "text-end", text: money(result.unassigned_revenue) }),
      ));
    }
    table.append(body);
    previewBox.append(table);
    if (result.movers.length) {
      previewBox.append(h("h3", { class: "h6 mt-2", text: S.preview_movers }));
      if (result.changed > result.movers.length) previewBox.append(h("p", { class: "small text-body-secondary mb-1", text: fmt(S.preview_first, { count: result.movers.length }) }));
      const list = h("ul", { class: "list-unstyled small mb-0", dataset: { role: "movers" } });
      for (const mover of result.movers) {
        const arrow = { up: "↑", down: "↓", new: "+" }[mover.direction] || "";
        list.append(h("li", { class: "mb-1", dataset: { direction: mover.direction } },
          h("span", { class: `me-1 fw-move-${mover.direction}`, "aria-hidden": "true", text: arrow }),
          h("a", { href: mover.url, target: "_blank", rel: "noopener", text: mover.title }),
          h("span", { class: "text-body-secondary", text: ` · ${mover.from_title || S.none} → ${mover.to_title} (${S[`direction_${mover.direction}`] || mover.direction})` }),
        ));
      }
      previewBox.append(list);
    }
  }

  function problemsOf(answer) {
    if (answer.data && Array.isArray(answer.data.problems)) return answer.data.problems;
    if (answer.data && answer.data.error) return [{ path: "", message: answer.data.error.message }];
    return null;
  }

  previewButton.addEventListener("click", async () => {
    clearProblems(root);
    showAlert("");
    previewBox.hidden = false;
    previewBox.replaceChildren(h("p", { class: "small text-body-secondary mb-0", role: "status", text: S.previewing }));
    previewButton.disabled = true;
    let answer = null;
    try {
      answer = await requestJson("POST", urls.preview, { form_id: state.formId, field_key: state.field, document: clone(doc) });
    } catch {
      showAlert(S.offline);
    }
    previewButton.disabled = false;
    if (answer && answer.ok && answer.data) {
      renderPreview(answer.data);
      announce(previewBox.querySelector("[data-role=preview-changes]").textContent);
      return;
    }
    previewBox.hidden = true;
    const problems = answer ? problemsOf(answer) : null;
    if (problems) showProblems(root, problems, S);
    else if (answer) showAlert(S.failed);
  });

  // -- saving ----------------------------------------------------------------------------
  function payload() {
    return {
      key: state.key,
      name: state.name,
      titles: state.zh ? { "zh-CN": state.zh } : {},
      form_id: state.formId,
      field_key: state.field,
      schedule: state.schedule || null,
      document: clone(doc),
      revision: state.revision,
    };
  }

  let saving = null;
  function save() {
    if (!canEdit) return Promise.resolve(false);
    if (!saving) saving = doSave().finally(() => { saving = null; });
    return saving;
  }

  async function doSave() {
    clearProblems(root);
    showAlert("");
    setStatus(S.status_saving);
    const edits = state.edits;
    let answer;
    try {
      answer = await requestJson("POST", state.id ? urls.save : urls.create, payload());
    } catch {
      setStatus(S.status_failed);
      showAlert(S.offline);
      return false;
    }
    if (answer.ok && answer.data && answer.data.scheme) {
      const wasNew = state.id === null;
      const scheme = answer.data.scheme;
      state.id = scheme.id;
      state.revision = scheme.revision;
      state.archived = scheme.archived;
      Object.assign(urls, answer.data.urls);
      state.dirty = state.edits !== edits;
      setStatus(state.dirty ? S.status_unsaved : S.status_saved);
      $("heading").textContent = scheme.name;
      if (wasNew) {
        if (urls.edit) window.history.replaceState(null, "", urls.edit);
        renderBasics(); // the key is fixed from now on
      }
      refreshHeader();
      announce(S.status_saved);
      return true;
    }
    setStatus(S.status_failed);
    const problems = problemsOf(answer);
    if (problems) {
      showProblems(root, problems, S);
      announce(problems.length === 1 ? S.problems_one : fmt(S.problems_many, { count: problems.length }));
    } else {
      showAlert(S.failed);
    }
    return false;
  }

  function refreshHeader() {
    if (!applyLink) return;
    applyLink.hidden = state.id === null || state.archived;
    if (urls.apply) applyLink.href = urls.apply;
    applyLink.classList.toggle("disabled", state.dirty);
    applyLink.setAttribute("aria-disabled", state.dirty ? "true" : "false");
    applyLink.title = state.dirty ? S.save_before_apply : "";
  }

  if (applyLink) {
    applyLink.addEventListener("click", (event) => {
      if (state.dirty) {
        event.preventDefault();
        showAlert(S.save_before_apply);
      }
    });
  }
  if (saveButton) saveButton.addEventListener("click", () => save());
  root.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty && canEdit) {
      event.preventDefault();
      event.returnValue = S.leave_warning;
    }
  });

  renderAll();
  refreshHeader();
  setStatus(!canEdit ? "" : state.id === null ? S.status_new : S.status_saved);
  $("loading").hidden = true;
  $("editor").hidden = false;
  root.dataset.ready = "1";
}

start();
