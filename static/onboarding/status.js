// Follows the case until it is decided: the checks' progress in place, a reload when the outcome changes.
(function () {
  "use strict";
  const box = document.getElementById("status");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const initial = box.dataset.outcomeNow;
  if (initial === "approved" || initial === "rejected" || initial === "resubmit") return;
  const bar = box.querySelector("[data-check-progress]");
  const text = box.querySelector("[data-check-progress-text]");
  // Checks take seconds; a review takes hours: ask less often while a person decides.
  const base = initial === "needs_review" ? 15000 : 1000;
  let delay = base;
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) {
        const data = await response.json();
        if (data.outcome !== initial) {
          window.location.reload();
          return;
        }
        if (bar && data.progress.total) {
          bar.max = data.progress.total;
          bar.value = data.progress.done;
          text.textContent = data.progress.done + " / " + data.progress.total;
        }
        delay = base;
      }
    } catch (e) {
      delay = Math.min(delay * 1.5, 30000); // offline for a moment: keep trying, more slowly
    }
    setTimeout(poll, delay);
  }
  setTimeout(poll, delay);
})();
