// The formula editor: the expression, its result type, a field picker that inserts {key},
// the function list, and a live check by the server's parser (message in the person's
// language, with the column it points at).
"use strict";

import { debounce, fmt, h, uid } from "./dom.js";
import { selectRow } from "./controls.js";

export function formulaEditor(store, getKey, S, { checkFormula }) {
  const schema = () => store.schema(getKey());
  const id = uid("fw-formula");
  const statusId = `${id}-status`;
  const area = h("textarea", {
    id, rows: "3", class: "form-control form-control-sm font-monospace fw-formula-input", spellcheck: "false",
    autocomplete: "off", "aria-describedby": statusId, placeholder: S.formula_placeholder, dataset: { prop: "formula" },
  });
  area.value = schema()["x-formula"] || "";
  const status = h("div", { class: "fw-formula-status small", id: statusId, role: "status", "aria-live": "polite" });
  const pointer = h("pre", { class: "fw-formula-pointer small mb-0", "aria-hidden": "true", hidden: true });
  let sequence = 0;

  const check = debounce(async () => {
    const mine = ++sequence;
    const text = area.value;
    if (!text.trim()) {
      show({ ok: false, message: S.formula_empty, column: null });
      return;
    }
    status.textContent = S.formula_checking;
    let result;
    try {
      result = await checkFormula({ formula: text, key: getKey(), document: store.doc });
    } catch {
      result = null;
    }
    if (mine !== sequence) return; // a newer check is on its way
    if (!result) {
      status.textContent = S.formula_check_failed;
      status.className = "fw-formula-status small text-body-secondary";
      return;
    }
    show(result);
  }, 350);

  function show(result) {
    status.replaceChildren();
    status.className = `fw-formula-status small ${result.ok ? "text-success" : "text-danger"}`;
    status.append(h("span", { text: result.ok ? `✓ ${result.message}` : result.message }));
    if (!result.ok && result.column) {
      status.append(" ", h("button", {
        type: "button", class: "btn btn-link btn-sm p-0 align-baseline", text: fmt(S.formula_go_column, { column: result.column }),
        onclick: () => { area.focus(); area.setSelectionRange(result.column - 1, result.column); },
      }));
      const line = area.value.replace(/\n/g, " ");
      pointer.textContent = `${line}\n${" ".repeat(Math.max(0, result.column - 1))}^`;
      pointer.hidden = false;
    } else {
      pointer.hidden = true;
    }
  }

  area.addEventListener("input", () => {
    store.setKeyword(getKey(), "x-formula", area.value);
    check();
  });

  function insert(text) {
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? area.value.length;
    area.setRangeText(text, start, end, "end");
    area.focus();
    store.setKeyword(getKey(), "x-formula", area.value);
    check();
  }

  const result = selectRow({
    label: S.formula_result, value: schema()["x-result"] || "number", name: "result",
    choices: [
      { value: "number", text: S.result_number }, { value: "text", text: S.result_text },
      { value: "boolean", text: S.result_boolean }, { value: "date", text: S.result_date },
    ],
    onChange: (value) => { store.setFormulaResult(getKey(), value); check(); },
  });

  const fieldButtons = store.order
    .filter((key) => key !== getKey() && store.sqlKind(key))
    .map((key) => h("li", {}, h("button", {
      type: "button", class: "fw-token", dataset: { insert: `{${key}}` },
      title: fmt(S.formula_insert, { token: `{${key}}` }),
      onclick: () => insert(`{${key}}`),
    }, h("span", { text: store.fieldLabel(key) }), " ", h("code", { text: `{${key}}` }))));
  const functionButtons = store.functions.map((fn) => h("li", {}, h("button", {
    type: "button", class: "fw-token", dataset: { insert: fn.name },
    title: S[`fn_${fn.name}`] || fn.name,
    onclick: () => insert(`${fn.name}(`),
  }, h("code", { text: `${fn.name}()` }), " ", h("span", { class: "text-body-secondary", text: S[`fn_${fn.name}`] || "" }))));

  check();
  if (!area.value.trim()) check.cancel();
  return h("div", { class: "fw-formula" },
    h("label", { class: "form-label small mb-1", for: id, text: S.formula_label }),
    area, pointer, status,
    h("p", { class: "form-text", text: S.formula_help }),
    result.row,
    h("details", { class: "fw-token-box", open: true },
      h("summary", { class: "small fw-semibold", text: S.formula_fields }),
      fieldButtons.length ? h("ul", { class: "fw-token-list list-unstyled" }, fieldButtons) : h("p", { class: "small text-body-secondary", text: S.formula_no_fields })),
    h("details", { class: "fw-token-box" },
      h("summary", { class: "small fw-semibold", text: S.formula_functions }),
      h("ul", { class: "fw-token-list list-unstyled" }, functionButtons)),
  );
}
