/* A text box that narrows a long <select data-filter-label="…"> (the admin's union picker).
   Progressive enhancement: without this script the select is a plain, complete list. */
(function () {
  "use strict";
  function enhance(select) {
    var all = Array.prototype.slice.call(select.options);
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.setAttribute("aria-label", select.getAttribute("data-filter-label"));
    box.setAttribute("aria-controls", select.id);
    box.setAttribute("autocomplete", "off");
    box.placeholder = select.getAttribute("data-filter-placeholder") || "";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var wanted = box.value.trim().toLowerCase();
      var chosen = select.value;
      // Options are removed and put back rather than hidden: iOS Safari shows hidden options.
      while (select.options.length) {
        select.remove(0);
      }
      all.forEach(function (option) {
        var text = (option.text + " " + option.value).toLowerCase();
        if (!wanted || option.value === "" || option.value === chosen || text.indexOf(wanted) !== -1) {
          select.add(option);
        }
      });
      select.value = chosen;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("select[data-filter-label]"), enhance);
})();
