// The automation builder (自动化): trigger, condition (the shared condition editor), actions,
// save, enable, dry-run (试运行) and back-fill (补跑历史数据).
//
// Loaded as a module from /static (the CSP allows no inline script). The page passes its
// data and translated strings as <script type="application/json"> blocks; every request
// carries the CSRF token in the X-CSRFToken header (builder/api.js).
"use strict";

import { requestJson } from "./builder/api.js";
import { clone, fmt, h } from "./builder/dom.js";
import { mountConditionEditor } from "./condition_editor.js";
import { renderActions } from "./automations/actions.js";
import { clearProblems, renderDryRun, showProblems } from "./automations/results.js";
import { normaliseTrigger, renderTrigger } from "./automations/trigger.js";

function readJson(id, fallback) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return fallback;
  }
}

function start() {
  const root = document.getElementById("fw-automation-builder");
  if (!root) return;
  const S = readJson("fw-automation-strings", {});
  const data = readJson("fw-automation-data", {});
  const conditionStrings = readJson("fw-condition-strings", {});
  const locale = root.dataset.locale === "zh-CN" ? "zh-CN" : "en";
  const urls = { ...data.urls };
  const saved = data.automation;
  const state = {
    id: saved ? saved.id : null,
    enabled: saved ? saved.enabled : false,
    dirty: false,
    edits: 0,
  };
  const doc = saved && saved.document && typeof saved.document === "object"
    ? clone(saved.document)
    : { version: data.version, trigger: { type: "record_created" }, actions: [] };
  if (!doc.trigger || typeof doc.trigger !== "object") doc.trigger = { type: "record_created" };
  if (!Array.isArray(doc.actions)) doc.actions = [];

  const $ = (role) => root.querySelector(`[data-role=${role}]`);
  const nameInput = root.querySelector("#fw-auto-name");
  const descriptionInput = root.querySelector("#fw-auto-description");
  const enabledSwitch = root.querySelector("#fw-auto-enabled");
  const enabledLabel = root.querySelector("label[for=fw-auto-enabled]");
  const status = $("save-status");
  const alertBox = $("alert");
  const live = $("announce");
  const saveButton = root.querySelector("[data-action=save]");
  const dryRunButton = root.querySelector("[data-action=dry-run]");
  const backfillButton = root.querySelector("[data-action=backfill]");
  const runsLink = $("runs-link");
  const dryRunBox = $("dry-run");
  const backfillBox = $("backfill");
  const conditionCard = $("condition-card");

  const formsByKey = new Map((data.forms || []).map((f) => [f.key, f]));
  const actionTitles = new Map((data.action_types || []).map((a) => [a.type, a.title]));

  const ctx = {
    S,
    data,
    doc,
    locale,
    changed() {
      state.dirty = true;
      state.edits += 1;
      setStatus(S.status_unsaved);
      backfillBox.hidden = true;
    },
    announce(text) {
      live.textContent = "";
      window.requestAnimationFrame(() => { live.textContent = text; });
    },
    formByKey: (key) => formsByKey.get(key) || null,
    triggerForm: () => (doc.trigger.type === "schedule" ? null : formsByKey.get(doc.trigger.form) || null),
    triggerFields() {
      const form = ctx.triggerForm();
      return form ? form.fields : [];
    },
    memberFields: () => ctx.triggerFields().filter((f) => f.type === "member"),
    // A role names no record and no actor: every trigger allows it.
    personKinds() {
      if (doc.trigger.type === "schedule") return ["user", "role"];
      if (doc.trigger.type === "date_relative") return ["owner", "user", "field", "role"];
      return ["owner", "actor", "user", "field", "role"];
    },
    placeholders() {
      const items = [];
      const form = ctx.triggerForm();
      if (form) {
        for (const field of form.fields) items.push([`record.${field.key}`, fmt(S.ph_field, { form: form.title, field: field.title })]);
        items.push(["record.id", S.ph_record_id], ["record.url", S.ph_record_url], ["record.owner.name", S.ph_owner_name], ["record.owner.email", S.ph_owner_email]);
      }
      items.push(["today", S.ph_today], ["today + 3 days", S.ph_today_plus_3], ["today + 1 weeks", S.ph_today_plus_week], ["now", S.ph_now], ["workspace.name", S.ph_workspace]);
      if (doc.trigger.type === "field_changed") items.push(["trigger.from", S.ph_trigger_from], ["trigger.to", S.ph_trigger_to]);
      for (const action of doc.actions) {
        if (action.type === "create_task") items.push([`steps.${action.id}.task_id`, fmt(S.ph_step_task, { id: action.id })]);
        if (action.type === "create_record") items.push([`steps.${action.id}.record_id`, fmt(S.ph_step_record, { id: action.id })]);
      }
      return items;
    },
    actionTitle: (type) => actionTitles.get(type) || type,
  };

  function setStatus(text) {
    status.textContent = text;
  }

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
  }

  // -- structure -------------------------------------------------------------------------
  let conditionFor = doc.trigger.form;
  function renderCondition() {
    const form = ctx.triggerForm();
    conditionCard.hidden = !form;
    const box = $("condition");
    if (!form) {
      delete doc.condition;
      box.replaceChildren();
      return;
    }
    if (conditionFor !== form.key) {
      delete doc.condition;
      conditionFor = form.key;
    }
    const fields = form.fields.map(({ key, title, kind, type, options }) => ({ key, title, kind, type, options }));
    mountConditionEditor(box, {
      fields,
      value: doc.condition ?? null,
      strings: conditionStrings,
      locale,
      onChange(tree) {
        if (tree === null) delete doc.condition;
        else doc.condition = tree;
        ctx.changed();
      },
    });
  }

  function renderAll() {
    renderTrigger($("trigger"), ctx, () => {
      renderAll();
    });
    renderCondition();
    renderActions($("actions"), ctx);
  }

  // A saved document is shown as it is (the server names what no longer fits); a new one
  // starts on the first form.
  if (!saved) normaliseTrigger(doc.trigger, ctx);
  renderAll();

  // -- saving ----------------------------------------------------------------------------
  function payload() {
    return { name: nameInput.value, description: descriptionInput.value, document: clone(doc) };
  }

  function problemsOf(answer) {
    if (answer.data && Array.isArray(answer.data.problems)) return answer.data.problems;
    if (answer.data && answer.data.error) return [{ path: "", field: answer.data.error.field || "", message: answer.data.error.message }];
    return null;
  }

  let saving = null;
  function save() {
    // One save at a time: a second click (or Ctrl+S) waits for the first.
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
    if (answer.ok && answer.data && answer.data.automation) {
      const wasNew = state.id === null;
      state.id = answer.data.automation.id;
      state.enabled = answer.data.automation.enabled;
      Object.assign(urls, answer.data.urls);
      // Edits made while the request was on its way are not saved yet.
      state.dirty = state.edits !== edits;
      setStatus(state.dirty ? S.status_unsaved : S.status_saved);
      $("heading").textContent = answer.data.automation.name;
      refreshHeader();
      if (wasNew && urls.edit) window.history.replaceState(null, "", urls.edit);
      ctx.announce(S.status_saved);
      return true;
    }
    setStatus(S.status_failed);
    const problems = problemsOf(answer);
    if (problems) {
      showProblems(root, problems, S);
      ctx.announce(problems.length === 1 ? S.problems_one : fmt(S.problems_many, { count: problems.length }));
    } else {
      showAlert(S.failed);
    }
    return false;
  }

  // While a switch click is being saved, the switch keeps showing what was asked for:
  // the save before the toggle must not flip it back for a moment.
  let wantedEnabled = null;

  function refreshHeader() {
    const shown = wantedEnabled === null ? state.enabled : wantedEnabled;
    enabledSwitch.checked = shown;
    enabledLabel.textContent = shown ? S.enabled_on : S.enabled_off;
    root.dataset.enabled = state.enabled ? "1" : "0";
    if (urls.runs) {
      runsLink.href = urls.runs;
      runsLink.hidden = false;
    }
    backfillButton.hidden = state.id === null;
  }

  saveButton.addEventListener("click", () => save());
  nameInput.addEventListener("input", () => ctx.changed());
  descriptionInput.addEventListener("input", () => ctx.changed());
  root.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) {
      event.preventDefault();
      event.returnValue = S.leave_warning;
    }
  });

  // -- enable / disable ------------------------------------------------------------------
  enabledSwitch.addEventListener("change", async () => {
    const wanted = enabledSwitch.checked;
    wantedEnabled = wanted;
    enabledSwitch.disabled = true;
    let ok = true;
    if (state.id === null || state.dirty) ok = await save();
    if (ok) {
      clearProblems(root);
      let answer = null;
      try {
        answer = await requestJson("POST", urls.enabled, { enabled: wanted });
      } catch {
        showAlert(S.offline);
      }
      if (answer && answer.ok && answer.data) {
        state.enabled = answer.data.automation.enabled;
        ctx.announce(state.enabled ? S.now_on : S.now_off);
        setStatus(state.enabled ? S.now_on : S.now_off);
      } else if (answer) {
        const problems = problemsOf(answer);
        if (problems) showProblems(root, problems, S);
        else showAlert(S.failed);
      }
    }
    wantedEnabled = null;
    enabledSwitch.disabled = false;
    refreshHeader();
  });

  // -- dry run ---------------------------------------------------------------------------
  dryRunButton.addEventListener("click", async () => {
    clearProblems(root);
    showAlert("");
    dryRunBox.hidden = false;
    dryRunBox.replaceChildren(h("p", { class: "small text-body-secondary mb-0", role: "status", text: S.dry_running }));
    dryRunButton.disabled = true;
    let answer = null;
    try {
      answer = await requestJson("POST", urls.dry_run, { document: clone(doc), limit: 50 });
    } catch {
      showAlert(S.offline);
    }
    dryRunButton.disabled = false;
    if (answer && answer.ok && answer.data) {
      renderDryRun(dryRunBox, answer.data, ctx);
      ctx.announce(dryRunBox.querySelector("[data-role=dry-run-count]").textContent);
      return;
    }
    dryRunBox.hidden = true;
    const problems = answer ? problemsOf(answer) : null;
    if (problems) showProblems(root, problems, S);
    else if (answer) showAlert(S.failed);
  });

  // -- back-fill -------------------------------------------------------------------------
  backfillButton.addEventListener("click", async () => {
    backfillBox.hidden = false;
    backfillBox.replaceChildren();
    if (state.id === null || state.dirty) {
      backfillBox.append(h("p", { class: "mb-0", text: S.backfill_save_first }));
      return;
    }
    if (!state.enabled) {
      backfillBox.append(h("p", { class: "mb-0", text: S.backfill_enable_first }));
      return;
    }
    backfillBox.append(h("p", { class: "small text-body-secondary mb-0", role: "status", text: S.backfill_counting }));
    let answer = null;
    try {
      answer = await requestJson("GET", urls.backfill);
    } catch {
      showAlert(S.offline);
    }
    backfillBox.replaceChildren();
    if (!answer || !answer.ok || !answer.data) {
      const problems = answer ? problemsOf(answer) : null;
      if (problems) showProblems(root, problems, S);
      backfillBox.hidden = true;
      return;
    }
    const count = answer.data.count;
    if (!count) {
      backfillBox.append(h("p", { class: "mb-0", text: S.backfill_nothing }));
      return;
    }
    const question = h("p", { class: "mb-2", dataset: { role: "backfill-question" }, text: fmt(count === 1 ? S.backfill_confirm_one : S.backfill_confirm, { count: count.toLocaleString(locale), name: nameInput.value }) });
    const confirm = h("button", { type: "button", class: "btn btn-sm btn-warning", text: fmt(count === 1 ? S.backfill_go_one : S.backfill_go, { count: count.toLocaleString(locale) }), dataset: { action: "backfill-confirm" } });
    const cancel = h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: S.cancel, onclick: () => { backfillBox.hidden = true; backfillButton.focus(); } });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      let done = null;
      try {
        done = await requestJson("POST", urls.backfill, {});
      } catch {
        showAlert(S.offline);
      }
      backfillBox.replaceChildren();
      if (done && done.ok && done.data) {
        backfillBox.append(h("p", { class: "mb-0", role: "status", dataset: { role: "backfill-done" }, text: done.data.message }));
        ctx.announce(done.data.message);
      } else if (done) {
        backfillBox.append(h("p", { class: "mb-0 text-danger", role: "alert", text: (done.data && done.data.error && done.data.error.message) || S.failed }));
      }
    });
    backfillBox.append(question, h("div", { class: "d-flex gap-2" }, confirm, cancel));
    for (const note of answer.data.notes || []) backfillBox.append(h("p", { class: "small text-body-secondary mt-2 mb-0", text: note }));
    confirm.focus();
  });

  refreshHeader();
  setStatus(state.id === null ? S.status_new : S.status_saved);
  root.querySelector("[data-role=loading]").hidden = true;
  root.querySelector("[data-role=editor]").hidden = false;
  root.dataset.ready = "1";
}

start();
