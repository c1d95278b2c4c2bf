/* Library list: "use my location". Progressive enhancement only: without this file the form is a
   plain GET form (a district picker and a submit button).
   Contract (libraries/index.html): form#library-search, hidden input#search-lat / #search-lng,
   button#use-location[hidden] with data-locating / data-denied / data-unavailable, #location-status.
   ES5 on purpose: old Android WebViews (inside WeChat) still matter. */
(function () {
  "use strict";
  var form = document.getElementById("library-search");
  var lat = document.getElementById("search-lat");
  var lng = document.getElementById("search-lng");
  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  var geo = navigator.geolocation;
  if (!form || !lat || !lng || !button || !geo || window.isSecureContext === false) { return; }
  button.removeAttribute("hidden");
  var waiting = false;

  function say(text) { if (status) { status.textContent = text || ""; } }
  function failed(key) { waiting = false; button.disabled = false; say(button.getAttribute(key)); }
  function round6(v) { return (Math.round(v * 1e6) / 1e6).toFixed(6); }

  form.elements.region.addEventListener("change", function () { lat.value = ""; lng.value = ""; });
  button.addEventListener("click", function () {
    if (waiting) { return; }
    waiting = true;
    button.disabled = true;
    say(button.getAttribute("data-locating"));
    var guard = window.setTimeout(function () { if (waiting) { failed("data-unavailable"); } }, 15000);
    try {
      geo.getCurrentPosition(function (position) {
        window.clearTimeout(guard);
        var c = position && position.coords;
        if (!c || !isFinite(c.latitude) || !isFinite(c.longitude)) { failed("data-unavailable"); return; }
        lat.value = round6(c.latitude);
        lng.value = round6(c.longitude);
        form.elements.region.value = "";
        HTMLFormElement.prototype.submit.call(form);
      }, function (err) {
        window.clearTimeout(guard);
        if (waiting) { failed(err && err.code === 1 ? "data-denied" : "data-unavailable"); }
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    } catch (e) {
      window.clearTimeout(guard);
      failed("data-unavailable");
    }
  });
})();
