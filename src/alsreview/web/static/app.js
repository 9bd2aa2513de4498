// Keyboard shortcuts of the screening pages: any element with data-key="x" is clicked when
// x is pressed (not while typing in a field).  No inline script anywhere: the page's CSP
// allows scripts from this origin only.
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  var t = event.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  var el = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
  if (el && !el.disabled) {
    event.preventDefault();
    el.click();
  }
});
// After htmx swaps a new record in, move focus to it so screen readers announce it.
document.addEventListener("htmx:afterSwap", function (event) {
  var focus = event.detail.target.querySelector("[data-focus]");
  if (focus) focus.focus();
});
// A page that comes back with problems (e.g. a form not saved) moves focus to their list.
(function () {
  var first = document.querySelector("[data-autofocus]");
  if (first) first.focus();
})();
