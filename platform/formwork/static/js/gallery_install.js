// Template install progress: run the install one step per request and move the bar.
// Without this script the page's button runs every remaining step in one request.
const box = document.getElementById("install-progress");
if (box) {
  const bar = box.querySelector("[data-testid=install-bar]");
  const percent = box.querySelector("[data-testid=install-percent]");
  const text = box.querySelector("[data-testid=install-label]");
  const error = box.querySelector("[data-testid=install-error]");
  const fallback = box.querySelector("[data-testid=install-continue]");
  const token = document.querySelector("meta[name=csrf-token]").content;
  fallback.classList.add("d-none");

  const show = (state) => {
    bar.value = state.percent;
    bar.textContent = `${state.percent}%`;
    percent.textContent = `${state.percent}%`;
    text.textContent = state.label;
  };

  const next = async () => {
    const response = await fetch(box.dataset.stepUrl, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": token },
      credentials: "same-origin",
    });
    const state = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok || state.error) {
      error.textContent = state.error || response.statusText;
      error.classList.remove("d-none");
      fallback.classList.remove("d-none");
      return;
    }
    show(state);
    if (state.done) {
      window.location.assign(state.next);
    } else {
      next();
    }
  };
  next();
}
