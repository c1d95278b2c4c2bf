/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // A form with data-confirm asks once more before a destructive action.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
