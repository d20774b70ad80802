// Customer-value settings: each field select offers only the fields of the form chosen
// for its part (link fields only when they link to the customer form), and the R×F grid
// cells take the colour of the segment chosen. Without this script every field is
// offered and the server reports a field that does not fit.
"use strict";

const form = document.getElementById("value-settings-form");

function chosenForm(part) {
  const select = form.querySelector(`select[name="${part}.form"]`);
  return select ? select.value : "";
}

function narrow(select) {
  const part = select.dataset.part;
  const formKey = chosenForm(part);
  const customers = chosenForm("customers");
  for (const group of select.querySelectorAll("optgroup")) {
    const fits = group.dataset.form === formKey;
    group.hidden = !fits;
    group.disabled = !fits;
    for (const option of group.querySelectorAll("option")) {
      const linkFits = select.dataset.role !== "link" || option.dataset.link === customers;
      option.hidden = !(fits && linkFits);
      option.disabled = !(fits && linkFits);
    }
  }
  const current = select.selectedOptions[0];
  if (current && current.disabled) {
    select.value = "";
  }
}

function narrowAll() {
  for (const select of form.querySelectorAll("select[data-part]")) {
    narrow(select);
  }
}

if (form) {
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLSelectElement)) return;
    if (target.matches("[data-form-select]")) {
      narrowAll();
    }
    const cell = target.closest("[data-grid-cell]");
    if (cell) {
      for (const name of [...cell.classList]) {
        if (name.startsWith("fw-seg-")) cell.classList.remove(name);
      }
      cell.classList.add(`fw-seg-${target.value}`);
    }
  });
  narrowAll();
}
