// The publish dialog: what publishing would do (problems, changes, effect on stored data),
// then publish only when nothing stands in the way, and link to the records.
"use strict";

import { fmt, h } from "./dom.js";

export function publishDialog(root, store, S, { save, preview, publish, onPublished, onConflict }) {
  const element = root.querySelector("#fw-publish-dialog");
  const body = element.querySelector("[data-role=publish-body]");
  const confirm = element.querySelector("[data-action=publish-confirm]");
  const modal = window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(element) : null;
  let revision = null;

  function show() {
    if (modal) modal.show();
    else element.hidden = false;
  }

  function hide() {
    if (modal) modal.hide();
    else element.hidden = true;
  }

  function list(title, items, cls, renderItem) {
    if (!items.length) return null;
    return h("section", { class: "mb-3" },
      h("h3", { class: "h6", text: title }),
      h("ul", { class: `fw-publish-list ${cls}` }, items.map(renderItem)));
  }

  function keyOf(path) {
    const match = /^\/(?:properties|x-archived)\/([^/]+)/.exec(path || "");
    return match ? match[1].replace(/~1/g, "/").replace(/~0/g, "~") : null;
  }

  function problemItem(problem) {
    const key = problem.key || keyOf(problem.path);
    if (key && store.schema(key)) {
      return h("li", {}, h("button", {
        type: "button", class: "btn btn-link p-0 text-start text-danger fw-problem-link", dataset: { key },
        onclick: () => { hide(); store.select(key); document.querySelector(`li.fw-item[data-key="${CSS.escape(key)}"]`)?.focus(); },
      }, h("span", { class: "fw-semibold", text: `${store.fieldLabel(key)}: ` }), problem.message));
    }
    return h("li", { class: "text-danger", text: problem.message });
  }

  function render(result) {
    const problems = result.problems || [];
    const parts = [];
    if (problems.length) {
      parts.push(h("div", { class: "alert alert-danger py-2", role: "alert", text: fmt(S.publish_blocked, { count: problems.length }) }));
    } else {
      parts.push(h("div", { class: "alert alert-success py-2", text: store.publishedVersion ? fmt(S.publish_ready_next, { version: store.publishedVersion + 1 }) : S.publish_ready_first }));
    }
    parts.push(list(S.publish_problems, problems, "fw-publish-problems", problemItem));
    parts.push(list(S.publish_changes, result.changes || [], "", (text) => h("li", { text })));
    parts.push(list(S.publish_effects, result.data_effects || [], "fw-publish-effects", (text) => h("li", { text })));
    if (!problems.length && !(result.changes || []).length && store.publishedVersion) {
      parts.push(h("p", { class: "text-body-secondary small", text: S.publish_no_changes }));
    }
    body.replaceChildren(...parts.filter(Boolean));
    confirm.disabled = !result.ok;
    confirm.hidden = false;
  }

  async function open() {
    body.replaceChildren(h("p", { class: "text-body-secondary", role: "status", text: S.publish_checking }));
    confirm.disabled = true;
    confirm.hidden = false;
    show();
    const saved = await save();
    if (!saved) {
      body.replaceChildren(h("div", { class: "alert alert-danger", role: "alert", text: S.publish_save_first }));
      return;
    }
    revision = saved.revision;
    let answer;
    try {
      answer = await preview();
    } catch {
      answer = null;
    }
    if (!answer || !answer.ok || !answer.data) {
      body.replaceChildren(h("div", { class: "alert alert-danger", role: "alert", text: S.publish_preview_failed }));
      return;
    }
    render(answer.data);
  }

  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    let answer;
    try {
      answer = await publish(revision);
    } catch {
      answer = null;
    }
    if (answer && answer.ok && answer.data) {
      const { version, records_url: url } = answer.data;
      confirm.hidden = true;
      body.replaceChildren(
        h("div", { class: "alert alert-success", role: "status", dataset: { published: String(version) } },
          h("p", { class: "mb-2 fw-semibold", text: fmt(S.published_version, { version }) }),
          url ? h("a", { class: "btn btn-primary", href: url, dataset: { action: "open-records" }, text: S.open_records })
            : h("p", { class: "mb-0", text: S.records_later })),
      );
      onPublished(version, url);
      return;
    }
    if (answer && answer.status === 409) {
      hide();
      onConflict(answer.data && answer.data.error ? answer.data.error.message : S.conflict);
      return;
    }
    const data = (answer && answer.data) || {};
    if (data.problems) {
      render({ ok: false, problems: data.problems, changes: [], data_effects: [] });
      return;
    }
    body.prepend(h("div", { class: "alert alert-danger", role: "alert", text: (data.error && data.error.message) || S.publish_failed }));
    confirm.disabled = false;
  });

  return { open };
}
