// Submit a form when one of its <select data-autosubmit> changes (the dashboard's branch
// picker). A file, not an inline handler: the Content-Security-Policy allows no inline script.
"use strict";
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.dataset.autosubmit !== undefined && field.form) {
    field.form.submit();
  }
});
