// Follows the case until it is decided by a reviewer or the policy; reloads when the status changes.
(function () {
  "use strict";
  const box = document.getElementById("status");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const initial = box.querySelector("[data-outcome]").dataset.outcome;
  if (initial === "approved" || initial === "rejected") return;
  let delay = 1000;
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) {
        const data = await response.json();
        if (data.status !== initial) {
          window.location.reload();
          return;
        }
      }
    } catch (e) {
      // offline for a moment: keep trying, more slowly
    }
    delay = Math.min(delay * 1.5, 15000);
    setTimeout(poll, delay);
  }
  setTimeout(poll, delay);
})();
