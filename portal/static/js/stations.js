/* Station list: "use my location" and filter chips.
   Progressive enhancement only: without this file the form works as a plain
   GET form with its own submit button (its action ends in #results, so the
   reader lands on the results again).
   Contract (see the station list template):
     form#station-search              the search form (GET /stations#results)
     input#search-lat, input#search-lng   hidden, filled with the position
     button#use-location[hidden]      shown only when geolocation can work;
                                      data-locating / data-denied / data-unavailable
                                      hold the status messages
     #location-status                 role=status, receives those messages
     select[name=region]              clears the position when chosen
     input[name=q]                    typed words keep the position (distances stay shown)
     input[type=checkbox][name=amenity|open_now]   apply at once: the same page is
                                      fetched and its #results swapped in (no reload);
                                      a failed fetch falls back to submitting the form
     button[data-apply]               the no-script "apply" button, hidden here
     #finder-live                     role=status, told the new results heading
   ES5 on purpose: old Android WebViews (inside WeChat) still matter. */
(function () {
  "use strict";

  var form = document.getElementById("station-search");
  if (!form) { return; }

  var latInput = document.getElementById("search-lat");
  var lngInput = document.getElementById("search-lng");
  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");

  // form.submit() is shadowed when a control is named "submit"; the
  // prototype's method always works and, like form.submit(), skips the
  // submit event (nothing on this form needs it).
  function submitForm() {
    HTMLFormElement.prototype.submit.call(form);
  }

  function say(text) {
    if (status) { status.textContent = text || ""; }
  }

  function field(name) {
    var el = form.elements[name];
    // A RadioNodeList when the name is repeated; only single controls here.
    return el && el.nodeType === 1 ? el : null;
  }

  function clearPosition() {
    if (latInput) { latInput.value = ""; }
    if (lngInput) { lngInput.value = ""; }
  }

  /* Filter chips: with JavaScript a tick applies at once, without leaving the results. */
  var apply = form.querySelector("[data-apply]");
  if (apply) { apply.setAttribute("hidden", ""); }
  var live = document.getElementById("finder-live");
  var pending = null;

  function query() {
    var parts = [];
    var elements = form.elements;
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (!el.name || el.disabled) { continue; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { continue; }
      if (el.type === "submit" || el.type === "button") { continue; }
      if (el.value === "" && el.type === "hidden") { continue; }
      parts.push(encodeURIComponent(el.name) + "=" + encodeURIComponent(el.value));
    }
    return parts.join("&");
  }

  function swapResults() {
    var results = document.getElementById("results");
    if (!window.XMLHttpRequest || !window.DOMParser || !results) { submitForm(); return; }
    var url = form.getAttribute("action").split("#")[0] + "?" + query();
    if (pending) { pending.abort(); }
    var xhr = new XMLHttpRequest();
    pending = xhr;
    results.setAttribute("aria-busy", "true");
    xhr.open("GET", url);
    xhr.onload = function () {
      pending = null;
      var fresh = xhr.status === 200 ?
        new DOMParser().parseFromString(xhr.responseText, "text/html").getElementById("results") : null;
      if (!fresh) { submitForm(); return; }
      results.parentNode.replaceChild(fresh, results);
      if (window.history && window.history.replaceState) { window.history.replaceState(null, "", url + "#results"); }
      var heading = document.getElementById("results-title");
      if (live) { live.textContent = heading ? heading.textContent : ""; }
    };
    xhr.onerror = function () { pending = null; submitForm(); };
    xhr.send();
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "checkbox" && (target.name === "amenity" || target.name === "open_now")) {
      swapResults();
    } else if (target.name === "region") {
      // Choosing a region by hand replaces an earlier "my location".
      clearPosition();
    }
  });

  /* Use my location. Geolocation needs a secure context (HTTPS or localhost);
     elsewhere browsers refuse it, so the button stays hidden. */
  var geo = navigator.geolocation;
  if (!button || !latInput || !lngInput || !geo || window.isSecureContext === false) { return; }
  button.removeAttribute("hidden");

  var waiting = false;
  var guard = null;

  function finish() {
    waiting = false;
    if (guard) { window.clearTimeout(guard); guard = null; }
  }

  function failed(message) {
    finish();
    say(message);
    button.disabled = false;
  }

  function round6(value) {
    return (Math.round(value * 1e6) / 1e6).toFixed(6);
  }

  function success(position) {
    var c = position && position.coords;
    if (!c || !isFinite(c.latitude) || !isFinite(c.longitude)) {
      failed(button.getAttribute("data-unavailable"));
      return;
    }
    finish();
    latInput.value = round6(c.latitude);
    lngInput.value = round6(c.longitude);
    // The position wins over a region or an address typed earlier.
    var region = field("region");
    var q = field("q");
    if (region) { region.value = ""; }
    if (q) { q.value = ""; }
    // The button stays disabled: the page is about to change.
    submitForm();
  }

  function error(err) {
    if (!waiting) { return; }
    var denied = err && err.code === 1; // PositionError.PERMISSION_DENIED
    failed(button.getAttribute(denied ? "data-denied" : "data-unavailable"));
  }

  button.addEventListener("click", function () {
    if (waiting) { return; }
    waiting = true;
    button.disabled = true;
    say(button.getAttribute("data-locating"));
    // Some WebViews never answer when the permission prompt is dismissed:
    // give the button back after a while. A late answer still counts.
    guard = window.setTimeout(function () {
      guard = null;
      if (waiting) { failed(button.getAttribute("data-unavailable")); }
    }, 15000);
    try {
      geo.getCurrentPosition(success, error, {
        enableHighAccuracy: true,
        timeout: 10000,
        maximumAge: 60000
      });
    } catch (e) {
      failed(button.getAttribute("data-unavailable"));
    }
  });
})();
