// The form designer (表单设计器): palette, canvas, property panel, auto-saved draft, live
// checks and the publish dialog. Loaded as a module from /static (the CSP allows no inline
// script); the page passes its URLs as data- attributes and its translated strings as a
// JSON block.
"use strict";

import { requestJson } from "./builder/api.js";
import { mountCanvas } from "./builder/canvas.js";
import { debounce, fmt } from "./builder/dom.js";
import { mountPalette } from "./builder/palette.js";
import { mountProperties } from "./builder/properties.js";
import { publishDialog } from "./builder/publish.js";
import { Store } from "./builder/store.js";

const SAVE_DELAY_MS = 1200;
const CHECK_DELAY_MS = 500;

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

async function loadEvaluator(root, store) {
  // The records pages' evaluator of visibility conditions (static/js/conditions.js), for
  // the "Try it" preview; the page says whether it is installed.
  if (root.dataset.conditions !== "1") return null;
  try {
    const module = await import("./conditions.js");
    if (typeof module.evaluate !== "function") return null;
    return (condition, record) => {
      const kinds = {};
      for (const key of store.order) {
        const kind = store.sqlKind(key);
        if (kind) kinds[key] = kind;
      }
      const today = new Date().toISOString().slice(0, 10);
      return module.evaluate(condition, record, { kinds, today });
    };
  } catch {
    return null;
  }
}

async function start() {
  const root = document.getElementById("fw-builder");
  if (!root) return;
  const urls = { ...root.dataset };
  const S = readJson("fw-builder-strings");
  const conditionStrings = readJson("fw-condition-strings");
  const locale = root.dataset.locale === "zh-CN" ? "zh-CN" : "en";
  const status = root.querySelector("[data-role=save-status]");
  const problemCount = root.querySelector("[data-role=problem-count]");
  const alertBox = root.querySelector("[data-role=alert]");
  const live = root.querySelector("[data-role=announce]");
  const saveButton = root.querySelector("[data-action=save]");
  const publishButton = root.querySelector("[data-action=publish]");
  const recordsLink = root.querySelector("[data-role=records-link]");
  const versionBadge = root.querySelector("[data-role=version]");

  const announce = (text) => {
    live.textContent = "";
    // A new text node each time so screen readers repeat identical announcements.
    window.requestAnimationFrame(() => { live.textContent = text; });
  };

  let answer;
  try {
    answer = await requestJson("GET", urls.stateUrl);
  } catch {
    answer = null;
  }
  if (!answer || !answer.ok || !answer.data) {
    showAlert(S.load_failed, false);
    root.querySelector("[data-role=loading]").hidden = true;
    return;
  }
  const state = answer.data;
  const store = new Store(state, locale);
  const published = (state.published && state.published.properties) || {};
  let revision = state.draft_revision;
  let dirty = false;
  let changeCount = 0;
  let saving = null; // the running save (a Promise)
  let conflict = false;
  root.querySelector("[data-role=loading]").hidden = true;
  root.querySelector("[data-role=workspace]").hidden = false;

  function setStatus(text, tone = "muted") {
    status.textContent = text;
    status.dataset.tone = tone;
  }

  function showAlert(message, reload) {
    alertBox.replaceChildren();
    const text = document.createElement("span");
    text.textContent = message;
    alertBox.append(text);
    if (reload) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-light ms-2";
      button.textContent = S.reload;
      button.dataset.action = "reload";
      button.addEventListener("click", () => {
        dirty = false; // the person chose to drop their unsaved changes
        window.location.reload();
      });
      alertBox.append(button);
    }
    alertBox.hidden = false;
  }

  function enterConflict(message) {
    conflict = true;
    autosave.cancel();
    setStatus(S.status_conflict, "danger");
    saveButton.disabled = true;
    publishButton.disabled = true;
    showAlert(message || S.conflict, true);
  }

  async function saveNow() {
    if (conflict) return null;
    if (saving) await saving.catch(() => null);
    if (!dirty) return { revision };
    const sentAt = changeCount;
    setStatus(S.status_saving);
    saving = requestJson("PUT", urls.draftUrl, { document: store.doc, draft_revision: revision });
    let result;
    try {
      result = await saving;
    } catch {
      result = null;
    } finally {
      saving = null;
    }
    if (!result) {
      setStatus(S.status_offline, "danger");
      autosave();
      return null;
    }
    if (result.status === 409) {
      enterConflict(result.data && result.data.error ? result.data.error.message : S.conflict);
      return null;
    }
    if (!result.ok) {
      const message = result.data && result.data.error ? result.data.error.message : S.status_failed;
      setStatus(message, "danger");
      return null;
    }
    revision = result.data.draft_revision;
    if (changeCount === sentAt) {
      dirty = false;
      setStatus(S.status_saved, "success");
    } else {
      autosave();
    }
    return { revision };
  }

  const autosave = debounce(() => { saveNow(); }, SAVE_DELAY_MS);

  let checkSequence = 0;
  const check = debounce(async () => {
    const mine = ++checkSequence;
    let result;
    try {
      result = await requestJson("POST", urls.checkUrl, { document: store.doc });
    } catch {
      return;
    }
    if (mine !== checkSequence || !result.ok || !result.data) return;
    store.setProblems(result.data.problems || []);
    const count = store.problems.length;
    problemCount.hidden = count === 0;
    problemCount.textContent = fmt(count === 1 ? S.problems_one : S.problems_many, { count });
  }, CHECK_DELAY_MS);

  store.addEventListener("change", () => {
    if (conflict) return;
    dirty = true;
    changeCount += 1;
    setStatus(S.status_unsaved);
    autosave();
    check();
  });

  function archive(key) {
    const label = store.fieldLabel(key);
    const position = store.order.indexOf(key);
    store.archive(key, published[key]);
    announce(fmt(S.archived, { field: label }));
    const next = store.order[Math.min(position, store.order.length - 1)];
    if (next) canvas.focusItem(next);
  }

  mountPalette(root.querySelector("[data-role=palette]"), store, S, {
    announce,
    onAdd: (type) => {
      const key = store.addField(type);
      store.select(key);
      announce(fmt(S.added_at, { field: store.fieldLabel(key), position: store.order.length, count: store.order.length }));
    },
  });
  const evaluate = await loadEvaluator(root, store);
  const canvas = mountCanvas(root.querySelector("[data-role=canvas]"), store, S, { announce, onArchive: archive, conditionStrings, evaluate });
  mountProperties(root.querySelector("[data-role=properties]"), store, S, {
    announce, onArchive: archive, conditionStrings, publishedSchema: published,
    checkFormula: async (body) => {
      const result = await requestJson("POST", urls.checkFormulaUrl, body);
      return result.ok ? result.data : null;
    },
  });

  function showPublished(version, url) {
    versionBadge.textContent = fmt(S.version_badge, { version });
    versionBadge.hidden = false;
    if (url) {
      recordsLink.href = url;
      recordsLink.hidden = false;
    }
  }
  if (state.form.published_version) showPublished(state.form.published_version, state.records_url);

  const dialog = publishDialog(root, store, S, {
    save: saveNow,
    preview: () => requestJson("POST", urls.previewUrl, {}),
    publish: (rev) => requestJson("POST", urls.publishUrl, { draft_revision: rev }),
    onPublished: (version, url) => {
      store.markPublished(version);
      Object.assign(published, JSON.parse(JSON.stringify(store.doc.properties)));
      showPublished(version, url);
      setStatus(fmt(S.status_published, { version }), "success");
      announce(fmt(S.published_version, { version }));
      store.refresh(); // published keys are now read-only; not an edit
    },
    onConflict: enterConflict,
  });

  saveButton.addEventListener("click", () => { autosave.cancel(); saveNow(); });
  publishButton.addEventListener("click", () => { autosave.cancel(); dialog.open(); });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      autosave.cancel();
      saveNow();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !conflict) {
      event.preventDefault();
      event.returnValue = S.leave_warning; // browsers show their own text
    }
  });

  setStatus(S.status_saved, "success");
  check();
  root.dataset.ready = "1";
}

start();
