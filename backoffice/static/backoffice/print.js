// The printable pages' Print button: a file, not an inline handler, so it runs under the CSP.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
