// Desktop to phone: show a QR code and a short link, then follow the case until the phone submits.
(function () {
  "use strict";
  const box = document.querySelector("[data-handoff]");
  if (!box) return;
  const $ = (selector) => box.querySelector(selector);
  const show = $("[data-handoff-show]");
  const panel = $("[data-handoff-panel]");
  const qr = $("[data-handoff-qr]");
  const link = $("[data-handoff-link]");
  const linkRow = $("[data-handoff-link-row]");
  const expiry = $("[data-handoff-expiry]");
  const state = $("[data-handoff-state]");
  const renew = $("[data-handoff-new]");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  let timer = null;
  let expiresAt = 0;

  function minutesLeft() {
    const left = Math.max(1, Math.ceil((expiresAt - Date.now()) / 60000));
    return interpolate(ngettext("The code works once, for %s more minute.",
                                "The code works once, for %s more minutes.", left), [left]);
  }

  function follow(url) {
    clearTimeout(timer);
    async function tick() {
      try {
        const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
        if (response.ok) {
          const s = await response.json();
          if (s.state === "submitted") {
            state.textContent = gettext("Submitted from your phone. Showing the result…");
            window.location.assign(s.status_url);
            return;
          }
          if (s.state === "claimed") {
            hideCode();
            expiry.hidden = true;
            state.textContent = gettext("Your phone has joined. Carry on there: this page follows along.");
          } else if (s.state === "declined") {
            if (box.dataset.followUrl) {
              window.location.reload();  // this browser may carry on itself again
              return;
            }
            hideCode();
            expiry.hidden = true;
            state.textContent = gettext("The phone did not continue: its owner said they did not start this verification.");
            renew.hidden = false;
            return;
          } else if (s.state === "expired") {
            hideCode();
            expiry.hidden = true;
            state.textContent = gettext("The code has expired.");
            renew.hidden = false;
            return;
          } else {
            expiry.textContent = minutesLeft();
          }
        }
      } catch (e) {
        // offline for a moment: keep following
      }
      timer = setTimeout(tick, 2000);
    }
    tick();
  }

  // The QR code and the link are one code: shown together, once made, and hidden together.
  function hideCode() {
    qr.hidden = true;
    linkRow.hidden = true;
  }

  // The link broken only after its host: its code never splits over two lines.
  function showLink(href) {
    const url = new URL(href);
    const code = document.createElement("span");
    code.className = "nowrap";
    code.textContent = url.pathname.slice(1) + url.search;
    link.href = href;
    link.replaceChildren(url.origin + "/", document.createElement("wbr"), code);
    linkRow.hidden = false;
  }

  async function start(event) {
    const chosen = Boolean(event);  // the applicant asked for it (not shown for a missing camera)
    show.hidden = true;
    renew.hidden = true;
    hideCode();  // no broken image or empty link while the code is being made
    panel.hidden = false;
    state.textContent = gettext("Making a code…");
    try {
      const response = await fetch(box.dataset.startUrl, { method: "POST", headers: { "X-CSRFToken": csrf } });
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || String(response.status));
      qr.src = data.qr;
      qr.hidden = false;
      showLink(data.link);
      expiresAt = Date.now() + data.expires_in * 1000;
      expiry.hidden = false;
      expiry.textContent = minutesLeft();
      state.textContent = chosen ? gettext("Waiting for your phone…")
        : gettext("Scan the code with your phone to carry on there, or upload a photo above.");
      follow(data.state_url);
    } catch (e) {
      hideCode();
      state.textContent = gettext("The code could not be made. Check your connection and try again.");
      renew.hidden = false;
    }
  }

  if (box.dataset.followUrl) {
    // A phone has joined: this page only follows the case.
    state.textContent = gettext("Your phone has joined. Carry on there: this page follows along.");
    follow(box.dataset.followUrl);
  }
  show.addEventListener("click", start);
  renew.addEventListener("click", start);
  // No camera on this device: the phone is the way forward, so show its code at once.
  document.addEventListener("kyc:camera-missing", function () {
    if (panel.hidden) start(null);
  });
})();
