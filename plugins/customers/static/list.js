// The customer list's selection and bulk bar. No inline scripts: the CSP forbids them.
// Without JavaScript every part of the bar is shown and the server checks the choice.
(function () {
  "use strict";

  function setup(form) {
    var bar = form.querySelector("[data-bulk-bar]");
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-bulk-row]"));
    var page = form.querySelector("[data-bulk-page]");
    var all = form.querySelector("[data-bulk-all-input]");
    var allButton = form.querySelector("[data-bulk-all]");
    var allNote = form.querySelector("[data-bulk-all-note]");
    var count = form.querySelector("[data-bulk-count]");
    var action = form.querySelector("[data-bulk-action]");
    var fieldsets = Array.prototype.slice.call(form.querySelectorAll("[data-bulk-fields]"));
    if (!bar || !page || !all || !count) return;

    function refresh() {
      var picked = rows.filter(function (box) { return box.checked; }).length;
      var everything = all.value === "1";
      bar.classList.toggle("d-none", picked === 0 && !everything);
      count.textContent = count.getAttribute("data-template").replace("__N__", String(picked));
      count.classList.toggle("d-none", everything);
      if (allNote) allNote.classList.toggle("d-none", !everything);
      if (allButton) allButton.classList.toggle("d-none", everything || picked < rows.length);
      page.checked = picked > 0 && picked === rows.length;
      page.indeterminate = picked > 0 && picked < rows.length;
    }

    function choose() {
      fieldsets.forEach(function (fieldset) {
        var shown = fieldset.getAttribute("data-bulk-fields") === action.value;
        fieldset.disabled = !shown;
        fieldset.classList.toggle("d-none", !shown);
      });
    }

    page.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = page.checked; });
      if (!page.checked) all.value = "0";
      refresh();
    });
    rows.forEach(function (box) {
      box.addEventListener("change", function () {
        if (!box.checked) all.value = "0";
        refresh();
      });
    });
    if (allButton) allButton.addEventListener("click", function () {
      all.value = "1";
      rows.forEach(function (box) { box.checked = true; });
      refresh();
    });
    form.querySelectorAll("[data-bulk-clear]").forEach(function (button) {
      button.addEventListener("click", function () {
        all.value = "0";
        rows.forEach(function (box) { box.checked = false; });
        refresh();
      });
    });
    if (action) action.addEventListener("change", choose);
    if (action) choose();
    refresh();
  }

  function ready() { document.querySelectorAll("form[data-bulk]").forEach(setup); }
  if (document.readyState !== "loading") ready();
  else document.addEventListener("DOMContentLoaded", ready);
})();
