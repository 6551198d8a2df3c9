// The case page: keyboard shortcuts for the common path, and zoom on the photos and frames.
(function () {
  "use strict";
  const form = document.getElementById("kyc-decide-form");
  const zoom = document.querySelector(".kyc-zoom");
  let zoomed = null; // the overlay's copy of the photo: an img, or the svg of a photo drawn turned upright
  let scale = 1;

  // Only the reasons of the chosen outcome are offered: optgroups carry the outcome's label.
  function filterReasons() {
    if (!form) return;
    const select = form.querySelector("select[name=reason]");
    const checked = form.querySelector("input[name=outcome]:checked");
    const label = checked ? checked.parentElement.textContent.trim() : "";
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = label !== "" && group.label !== label;
    });
    const chosen = select.selectedOptions[0];
    if (chosen && chosen.parentElement.hidden) select.value = "";
  }

  function choose(value) {
    const radio = form && form.querySelector("input[name=outcome][value=" + value + "]");
    if (!radio) return;
    radio.checked = true;
    filterReasons();
  }

  function pickReason(n) {
    const options = Array.from(form.querySelectorAll("select[name=reason] optgroup:not([hidden]) option"));
    if (options[n - 1]) form.querySelector("select[name=reason]").value = options[n - 1].value;
  }

  function openZoom(photo) {
    if (!zoom) return;
    zoomed = photo.cloneNode(true);
    zoomed.removeAttribute("class");
    zoomed.removeAttribute("tabindex");
    zoom.replaceChildren(zoomed);
    scale = 1;
    zoom.hidden = false;
    zoom.focus();
  }

  function closeZoom() {
    if (zoom) zoom.hidden = true;
  }

  document.querySelectorAll(".kyc-zoomable").forEach(function (photo) {
    photo.addEventListener("click", function () { openZoom(photo); });
    photo.addEventListener("keydown", function (e) { if (e.key === "Enter") openZoom(photo); });
  });
  if (zoom) {
    zoom.tabIndex = -1;
    zoom.addEventListener("click", closeZoom);
    zoom.addEventListener("wheel", function (e) {
      e.preventDefault();
      scale = Math.min(8, Math.max(1, scale * (e.deltaY < 0 ? 1.25 : 0.8)));
      if (!zoomed) return;
      const box = zoomed.getBoundingClientRect();
      zoomed.style.transformOrigin = ((e.clientX - box.left) / box.width * 100) + "% " +
        ((e.clientY - box.top) / box.height * 100) + "%";
      zoomed.style.transform = "scale(" + scale + ")";
    }, { passive: false });
  }

  if (form) {
    form.querySelectorAll("input[name=outcome]").forEach(function (r) { r.addEventListener("change", filterReasons); });
    filterReasons();
  }

  document.addEventListener("keydown", function (e) {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target.type !== "radio";
    if (e.key === "Escape") { closeZoom(); if (typing) e.target.blur(); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && form) { e.preventDefault(); form.requestSubmit(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "a") choose("approve");
    else if (e.key === "r") choose("reject");
    else if (e.key === "c" && form) { e.preventDefault(); form.querySelector("textarea[name=comment]").focus(); }
    else if (/^[1-9]$/.test(e.key) && form) pickReason(Number(e.key));
    else if (e.key === "z") {
      const target = document.activeElement.classList.contains("kyc-zoomable") ? document.activeElement
        : document.querySelector(".kyc-zoomable");
      if (target) { zoom.hidden ? openZoom(target) : closeZoom(); }
    } else {
      const button = document.querySelector("button[data-key='" + e.key + "']");
      if (button) button.click();
    }
  });
})();
