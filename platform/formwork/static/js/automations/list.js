// The automations list: flipping an on/off switch posts its form (the form carries CSRF).
"use strict";

for (const input of document.querySelectorAll("input.fw-auto-switch")) {
  input.addEventListener("change", () => {
    input.disabled = true;
    input.form.requestSubmit();
  });
}
