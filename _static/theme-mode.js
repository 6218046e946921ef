// sphinx-book-theme sets data-mode to "" for a first-time visitor (empty localStorage),
// and pydata-sphinx-theme then logs "Got invalid theme mode" as a console error before
// falling back to "auto". Start from "auto" instead: same result, clean console.
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}
