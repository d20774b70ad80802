// Small behaviours for server-rendered pages. Loaded as a file: the CSP allows no inline script.
"use strict";

// <form data-confirm="Question?"> asks before submitting.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// <button data-copy="#selector" data-copied="Copied"> copies an input's value.
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  source.select();
  try {
    await navigator.clipboard.writeText(source.value);
    button.textContent = button.dataset.copied || button.textContent;
  } catch {
    // Clipboard refused (insecure context): the text stays selected for Ctrl+C.
  }
});
