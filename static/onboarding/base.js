// Every page: the language switcher submits on change (no inline handlers: the CSP forbids them).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
