/* Uploads with a progress bar. Progressive enhancement: without this file the form posts as it is.
 *
 * A form with data-upload-progress is sent by XMLHttpRequest so that a <progress> inside it can
 * show how much has gone (photos are large, mobile networks slow). The server's answer then
 * takes the page's place, as a normal post would: after a redirect (success) the page it
 * redirected to, with its address; on a refusal (422) the form again with the message. The
 * answer is shown rather than fetched a second time, so its one-time messages are not lost.
 *
 * With data-upload-max-bytes / data-upload-max-request-bytes on an element in the form (the
 * file_input macro writes them), files too large are named before anything is sent, with the
 * texts of data-upload-too-large ({name} stands for the file's name) and data-upload-too-much.
 * If the request fails on the network, the form is posted normally instead.
 */
(function () {
  "use strict";

  function limits(form) {
    var holder = form.querySelector("[data-upload-max-bytes]");
    if (!holder) {
      return null;
    }
    return {
      file: Number(holder.getAttribute("data-upload-max-bytes")) || 0,
      request: Number(holder.getAttribute("data-upload-max-request-bytes")) || 0,
      tooLarge: holder.getAttribute("data-upload-too-large") || "",
      tooMuch: holder.getAttribute("data-upload-too-much") || "",
      message: holder.querySelector("[data-upload-error]")
    };
  }

  // The first problem with the chosen files, or "" when they may be sent.
  function problem(form, limit) {
    var total = 0;
    var inputs = form.querySelectorAll('input[type="file"]');
    for (var i = 0; i < inputs.length; i++) {
      var chosen = inputs[i].files || [];
      for (var j = 0; j < chosen.length; j++) {
        if (limit.file && chosen[j].size > limit.file) {
          return limit.tooLarge.replace("{name}", chosen[j].name);
        }
        total += chosen[j].size;
      }
    }
    return limit.request && total > limit.request ? limit.tooMuch : "";
  }

  function sameAddress(a, b) {
    return a.split("#")[0] === b.split("#")[0];
  }

  // Put the server's page in place of this one, keeping the scripts already running.
  function showPage(xhr, form, action) {
    var loaded = {};
    var scripts = document.querySelectorAll("script[src]");
    for (var i = 0; i < scripts.length; i++) {
      loaded[scripts[i].src] = true;
    }
    var section = form.closest("[id]");
    var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    document.replaceChild(document.adoptNode(page.documentElement), document.documentElement);
    var fresh = document.querySelectorAll("script[src]");
    for (var k = 0; k < fresh.length; k++) {
      if (!loaded[fresh[k].src]) {
        var script = document.createElement("script");
        script.src = fresh[k].src;
        fresh[k].parentNode.replaceChild(script, fresh[k]);
      }
    }
    // A redirect: this is now that page's address. A refusal: stay at the form's address.
    if (xhr.responseURL && !sameAddress(xhr.responseURL, action)) {
      window.history.replaceState(null, "", xhr.responseURL);
    }
    var focus = document.querySelector("[autofocus]");
    var place = section && document.getElementById(section.id);
    if (focus) {
      focus.focus();
    } else if (place) {
      place.scrollIntoView();
    } else {
      window.scrollTo(0, 0);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-upload-progress")) {
      return;
    }
    if (!window.FormData || !window.DOMParser) {
      return;
    }
    var limit = limits(form);
    if (limit) {
      var message = problem(form, limit);
      if (message) {
        event.preventDefault();
        if (limit.message) {
          limit.message.textContent = message;
          limit.message.hidden = false;
        } else {
          window.alert(message);
        }
        return;
      }
      if (limit.message) {
        limit.message.hidden = true;
      }
    }
    event.preventDefault();
    var data = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    var action = form.action;
    var progress = form.querySelector("progress");
    var buttons = form.querySelectorAll("button, input[type=submit]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
    if (progress) {
      progress.value = 0;
      progress.hidden = false;
    }
    var xhr = new XMLHttpRequest();
    xhr.open((form.getAttribute("method") || "post").toUpperCase(), action);
    xhr.upload.addEventListener("progress", function (e) {
      if (progress && e.lengthComputable) {
        progress.value = Math.round((e.loaded / e.total) * 100);
        progress.textContent = progress.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      showPage(xhr, form, action);
    });
    xhr.addEventListener("error", function () {
      form.submit(); // the network failed: let the browser post it and report what happens
    });
    xhr.send(data);
  });
})();
