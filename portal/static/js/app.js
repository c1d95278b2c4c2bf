/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // A form (or the button that submits it) with data-confirm asks once more before a
  // destructive action. With data-confirmed-field the answer is sent along (name=yes), so the
  // server skips the confirmation page it shows when JavaScript is off.
  // data-confirm-needs="ids": nothing to confirm when no "ids" box is ticked (the server says so).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var source = button && button.hasAttribute("data-confirm") ? button : form;
    var message = source.getAttribute("data-confirm");
    if (!message) {
      return;
    }
    var needs = source.getAttribute("data-confirm-needs");
    if (needs && !form.querySelector('input[name="' + needs + '"]:checked')) {
      return;
    }
    if (!window.confirm(message)) {
      event.preventDefault();
      return;
    }
    var field = source.getAttribute("data-confirmed-field");
    if (field) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = field;
      input.value = "yes";
      form.appendChild(input);
    }
  });
})();
