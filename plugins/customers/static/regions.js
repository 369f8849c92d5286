// Cascading province → city → district selects inside [data-region-picker="<children URL>"].
// Without JavaScript the form still works: the server checks each level against its parent.
(function () {
  "use strict";

  var LEVELS = ["province_code", "city_code", "district_code"];

  function fill(select, children) {
    var blank = select.options.length ? select.options[0].cloneNode(true) : null;
    select.innerHTML = "";
    if (blank) { blank.value = ""; select.appendChild(blank); }
    children.forEach(function (child) {
      var option = document.createElement("option");
      option.value = child.code;
      option.textContent = child.label || child.name;
      select.appendChild(option);
    });
  }

  function clear(select) { fill(select, []); }

  function setup(picker) {
    var url = picker.getAttribute("data-region-picker");
    var selects = LEVELS.map(function (name) { return picker.querySelector("select[name='" + name + "']"); });
    selects.forEach(function (select, index) {
      var next = selects[index + 1];
      if (!select || !next) return;
      select.addEventListener("change", function () {
        selects.slice(index + 1).forEach(function (later) { if (later) clear(later); });
        if (!select.value) return;
        fetch(url + "?parent=" + encodeURIComponent(select.value), {
          headers: { "Accept": "application/json" }, credentials: "same-origin"
        }).then(function (response) {
          return response.ok ? response.json() : { children: [] };
        }).then(function (data) { fill(next, data.children || []); });
      });
    });
  }

  function ready() { document.querySelectorAll("[data-region-picker]").forEach(setup); }
  if (document.readyState !== "loading") ready();
  else document.addEventListener("DOMContentLoaded", ready);
})();
