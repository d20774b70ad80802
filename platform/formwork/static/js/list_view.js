// The records list: the filter editor, shift-click multi-sort, column order, view picker,
// row selection for bulk actions.
// The page works without this script (plain links and GET forms); it only makes the
// controls point-and-click. Data comes from <script type="application/json"> blocks.
import { describeCondition, mountConditionEditor } from "./condition_editor.js";

function readJson(id, fallback) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return fallback;
  }
}

const fields = readJson("list-fields", []);
const strings = readJson("condition-strings", {});
const applied = readJson("list-filter", null);
const locale = document.documentElement.lang || "en";

// -- filter ------------------------------------------------------------------------------
const editorBox = document.getElementById("filter-editor");
const filterForm = document.getElementById("filter-form");
const filterJson = document.getElementById("filter-json");
if (editorBox && filterForm && filterJson) {
  const initial = applied !== null ? applied : null;
  mountConditionEditor(editorBox, {
    fields,
    value: initial,
    strings,
    locale,
    onChange(tree) {
      filterJson.value = tree === null ? "" : JSON.stringify(tree);
    },
  });
  // Enter in a value box applies the filter, as in the search box.
  editorBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.type !== "checkbox") {
      event.preventDefault();
      filterForm.requestSubmit();
    }
  });
}

const summary = document.getElementById("filter-summary");
if (summary && applied !== null) {
  summary.textContent = describeCondition(applied, fields, strings, locale);
}

// -- sort: shift-click a header adds it as a further sort --------------------------------
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.fw-sort-link") : null;
  if (link && event.shiftKey && link.dataset.shiftHref) {
    event.preventDefault();
    window.location.assign(link.dataset.shiftHref);
  }
});

// -- columns: move up and down -----------------------------------------------------------
const choices = document.getElementById("column-choices");
if (choices) {
  for (const button of choices.querySelectorAll("button[data-move]")) button.hidden = false;
  choices.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-move]") : null;
    if (!button) return;
    const item = button.closest("li");
    if (button.dataset.move === "up" && item.previousElementSibling) {
      item.parentElement.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "down" && item.nextElementSibling) {
      item.parentElement.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
  });
}

// -- saved views: picking one opens it ---------------------------------------------------
const picker = document.getElementById("view-picker");
if (picker) {
  for (const node of picker.querySelectorAll("[data-js-hide]")) node.hidden = true;
  const select = picker.querySelector("select");
  select.addEventListener("change", () => picker.requestSubmit());
}

// -- row selection: "select this page" and the count next to the bulk action -------------
const bulk = document.getElementById("bulk-survey");
if (bulk) {
  const rows = [...document.querySelectorAll("input[data-row-select]")];
  const all = bulk.querySelector("[data-select-page]");
  const count = bulk.querySelector("[data-selected-count]");
  const send = bulk.querySelector("[data-bulk-selected]");
  const refresh = () => {
    const chosen = rows.filter((box) => box.checked).length;
    all.checked = chosen > 0 && chosen === rows.length;
    all.indeterminate = chosen > 0 && chosen < rows.length;
    count.textContent = chosen ? count.dataset.template.replace("{n}", String(chosen)) : "";
    send.disabled = chosen === 0;
  };
  all.hidden = false;
  for (const node of bulk.querySelectorAll("label[for='select-page']")) node.hidden = false;
  all.addEventListener("change", () => {
    for (const box of rows) box.checked = all.checked;
    refresh();
  });
  for (const box of rows) box.addEventListener("change", refresh);
  refresh();
}
