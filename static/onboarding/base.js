// Every page: the language switcher submits on change (no inline handlers: the CSP forbids them),
// and a banner says when the connection is lost.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
(function () {
  const banner = document.querySelector("[data-offline]");
  if (!banner) return;
  const update = () => { banner.hidden = navigator.onLine; };
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
})();
