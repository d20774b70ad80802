// What the server says back: problems placed next to the spot they concern (by JSON
// pointer), and the dry-run (试运行) — how many records match and what each action would do.
"use strict";

import { fmt, h } from "../builder/dom.js";

/** Remove every problem shown earlier. */
export function clearProblems(root) {
  for (const node of root.querySelectorAll(".fw-problem")) node.remove();
  for (const node of root.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
  const summary = root.querySelector("[data-role=problems]");
  summary.hidden = true;
  summary.replaceChildren();
}

/** Where a problem belongs: [element, exact] — the element of its pointer, else of the
 * nearest enclosing pointer (exact false: the message goes there, no control is marked). */
function spotFor(root, problem) {
  if (problem.field === "name" || problem.field === "description") {
    return [root.querySelector(`[data-problem-field="${problem.field}"]`), true];
  }
  const spots = new Map();
  for (const node of root.querySelectorAll("[data-pointer]")) {
    if (!spots.has(node.dataset.pointer)) spots.set(node.dataset.pointer, node);
  }
  let path = problem.path || "";
  for (;;) {
    if (spots.has(path)) return [spots.get(path), path === (problem.path || "")];
    if (!path) return [null, false];
    path = path.slice(0, path.lastIndexOf("/"));
  }
}

/** Show every problem next to its spot and listed at the top; returns how many. */
export function showProblems(root, problems, S) {
  clearProblems(root);
  const summary = root.querySelector("[data-role=problems]");
  const list = h("ul", { class: "mb-0" });
  problems.forEach((problem) => {
    const [spot, exact] = spotFor(root, problem);
    const message = h("div", { class: "invalid-feedback d-block fw-problem", text: problem.message });
    const item = h("li", {});
    if (spot) {
      const control = spot.matches("input, select, textarea") ? spot : spot.querySelector("input, select, textarea");
      if (control && exact) control.classList.add("is-invalid");
      if (spot.matches("input, select, textarea")) spot.after(message);
      else spot.append(message);
      item.append(h("a", {
        href: "#",
        text: problem.message,
        onclick: (event) => {
          event.preventDefault();
          (control || spot).scrollIntoView({ block: "center" });
          if (control) control.focus();
        },
      }));
    } else {
      item.textContent = problem.message;
    }
    list.append(item);
  });
  summary.append(h("p", { class: "fw-semibold mb-1", text: problems.length === 1 ? S.problems_one : fmt(S.problems_many, { count: problems.length }) }), list);
  summary.hidden = false;
  return problems.length;
}

/** Render a dry-run answer: the count, the notes, then each record and its planned steps. */
export function renderDryRun(box, result, ctx) {
  const S = ctx.S;
  box.replaceChildren();
  box.hidden = false;
  const head = result.recordless
    ? S.dry_run_once
    : result.total === 1 ? S.dry_run_one : fmt(S.dry_run_many, { count: result.total.toLocaleString(ctx.locale) });
  box.append(h("h3", { class: "h6 mb-2", dataset: { role: "dry-run-count" }, text: head }));
  for (const note of result.notes || []) box.append(h("p", { class: "small text-body-secondary mb-2", text: note }));
  if (!result.recordless && result.total > result.records.length) {
    box.append(h("p", { class: "small text-body-secondary mb-2", text: fmt(S.dry_run_first, { count: result.records.length }) }));
  }
  if (!result.records.length) {
    box.append(h("p", { class: "small mb-0", text: S.dry_run_none }));
    return;
  }
  const list = h("ol", { class: "list-unstyled mb-0 fw-dry-run-records" });
  for (const record of result.records) {
    const item = h("li", { class: "border rounded p-2 mb-2 bg-body", dataset: { recordId: record.record_id ?? "" } });
    if (record.record_id !== null) {
      item.append(h("a", { href: record.url, class: "fw-semibold fw-dry-run-record", target: "_blank", rel: "noopener", text: record.title }));
    }
    const steps = h("ol", { class: "small mb-0 mt-1 fw-dry-run-steps" });
    for (const step of record.steps) {
      const line = h("li", { class: "mb-1" });
      line.append(h("span", { class: "text-body-secondary", text: `${ctx.actionTitle(step.type)} · ` }));
      if (step.error) line.append(h("span", { class: "text-danger", text: step.error }));
      else line.append(h("span", { class: "fw-dry-run-summary", text: step.summary }));
      if (!step.error) {
        const details = h("details", { class: "fw-dry-run-inputs" });
        details.append(h("summary", { class: "small text-body-secondary", text: S.planned_inputs }), h("pre", { class: "fw-json border rounded p-2 bg-body-tertiary small mb-0", text: JSON.stringify(step.inputs, null, 2) }));
        line.append(details);
      }
      steps.append(line);
    }
    item.append(steps);
    list.append(item);
  }
  box.append(list);
}
