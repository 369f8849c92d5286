// Customer form: the ID number and bank details belong to individual customers only,
// so they are hidden while the kind is "company" (the server clears them for companies).
(function () {
  "use strict";

  function init() {
    const kind = document.querySelector("select[name='kind']");
    const parts = document.querySelectorAll("[data-individual-only]");
    if (!kind || parts.length === 0) {
      return;
    }
    const sync = function () {
      parts.forEach(function (part) {
        part.hidden = kind.value !== "individual";
      });
    };
    kind.addEventListener("change", sync);
    sync();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
