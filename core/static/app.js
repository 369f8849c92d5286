// Guanxi CRM shell behaviour. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Ask before destructive actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // Copy a field's value: <button data-gx-copy="#field-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-gx-copy]");
    var field = button && document.querySelector(button.getAttribute("data-gx-copy"));
    if (!field) return;
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value);
  });

  // "/" focuses the page's own search box ([data-gx-slash]) or the global one,
  // unless the user is typing somewhere.
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && !["input", "textarea", "select"].includes(tag) && !event.target.isContentEditable) {
      var box = document.querySelector("[data-gx-slash]") || document.getElementById("gx-q");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });

  function showToasts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll(".gx-flash").forEach(function (el) {
      window.bootstrap.Toast.getOrCreateInstance(el).show();
    });
  }

  ready(function () { showToasts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showToasts(event.target); });
})();
