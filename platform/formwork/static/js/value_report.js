// Customer-asset report filters: choosing a preset period fills in its dates, editing a
// date switches the period to "custom dates". Without this script the preset decides
// and "custom dates" uses the two dates.
"use strict";

const filters = document.querySelector('[data-testid="report-filters"]');

function isoDay(day) {
  const local = new Date(day.getTime() - day.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

if (filters) {
  const preset = filters.querySelector("#preset");
  const start = filters.querySelector("#start");
  const end = filters.querySelector("#end");
  const today = end.dataset.today ? new Date(`${end.dataset.today}T00:00:00`) : new Date();
  const days = { "30d": 30, "90d": 90, "365d": 365 };

  preset.addEventListener("change", () => {
    if (preset.value === "year") {
      start.value = `${isoDay(today).slice(0, 4)}-01-01`;
      end.value = isoDay(today);
    } else if (days[preset.value]) {
      const first = new Date(today);
      first.setDate(first.getDate() - days[preset.value] + 1);
      start.value = isoDay(first);
      end.value = isoDay(today);
    }
  });
  for (const input of [start, end]) {
    input.addEventListener("change", () => {
      preset.value = "custom";
    });
  }
}
