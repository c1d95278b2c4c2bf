/* Pin picker: staff set a station's position on a map.
   Needs /static/vendor/leaflet/leaflet.js loaded first. Without JavaScript
   the two inputs are simply typed.
   Contract (see the station edit form):
     input#lat, input#lng               WGS-84 decimal degrees (the ids are
                                        named by the attributes below)
     div#pin-picker.pin-picker
       data-lat-input, data-lng-input   ids of those two inputs
       data-tiles, data-tile-crs, data-attribution,
       data-tile-subdomains, data-tile-max-zoom   as on the station map
       data-default-lat, data-default-lng         where the pin starts when
                                                  the inputs are empty
       data-label                       optional accessible name of the pin
       Anything inside the div is a no-JS fallback and is replaced.
   Clicking the map or dragging the pin writes the position (6 decimals) into
   the inputs; typing a valid position moves the pin. The inputs always hold
   WGS-84, also over GCJ-02 tiles.
   ES5 on purpose: old Android WebViews (inside WeChat) still matter. */
(function () {
  "use strict";

  var container = document.getElementById("pin-picker");
  if (!container || typeof window.L === "undefined" || !window.PortalMap) { return; }
  var L = window.L;

  function attr(name) {
    return container.getAttribute("data-" + name) || "";
  }
  var latInput = document.getElementById(attr("lat-input") || "lat");
  var lngInput = document.getElementById(attr("lng-input") || "lng");
  if (!latInput || !lngInput) { return; }


  /* ---- the inputs ---- */
  var NUMBER = /^[+\-]?(\d+\.?\d*|\.\d+)$/;
  function parse(value) {
    value = String(value || "").replace(/^\s+|\s+$/g, "");
    return NUMBER.test(value) ? parseFloat(value) : NaN;
  }
  function inputPosition() {
    var lat = parse(latInput.value);
    var lng = parse(lngInput.value);
    if (isNaN(lat) || isNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) { return null; }
    return [lat, lng];
  }
  function fire(input, type) {
    var event;
    if (typeof window.Event === "function") {
      event = new window.Event(type, { bubbles: true });
    } else {
      event = document.createEvent("HTMLEvents");
      event.initEvent(type, true, false);
    }
    input.dispatchEvent(event);
  }
  function writeInputs(wgs) {
    latInput.value = wgs[0].toFixed(6);
    lngInput.value = wgs[1].toFixed(6);
    // Let other scripts (and the browser's form state) know; our own
    // listener below is on "input", so this cannot loop.
    fire(latInput, "change");
    fire(lngInput, "change");
  }

  var english = /^en\b/i.test(document.documentElement.getAttribute("lang") || "");
  var TEXT = english
    ? { zoomIn: "Zoom in", zoomOut: "Zoom out", pin: "Station position: drag, or use the arrow keys", map: "Map: tap to place the station" }
    : { zoomIn: "放大", zoomOut: "缩小", pin: "站点位置：拖动或用方向键移动", map: "地图：点按以放置站点" };

  /* ---- the map ---- */
  while (container.firstChild) { container.removeChild(container.firstChild); }
  if (!container.getAttribute("aria-label")) { container.setAttribute("aria-label", TEXT.map); }

  var built = window.PortalMap.createMap(container, TEXT);
  var map = built.map;
  var toMap = built.toMap;
  var fromMap = built.fromMap;

  var start = inputPosition();
  var defLat = parse(attr("default-lat"));
  var defLng = parse(attr("default-lng"));
  var fallback = (!isNaN(defLat) && !isNaN(defLng)) ? [defLat, defLng] : [35.86, 104.19];

  // The view first: Leaflet only builds a marker's element once the map has one.
  var startAt = toMap((start || fallback)[0], (start || fallback)[1]);
  map.setView(startAt, start ? 16 : (isNaN(defLat) ? 4 : 12));

  var icon = L.divIcon({
    className: "pin-icon",
    html: '<span class="pin-icon-head"></span>',
    iconSize: [44, 44],
    iconAnchor: [22, 44]
  });
  var marker = L.marker(startAt, {
    icon: icon,
    draggable: true,
    keyboard: true,
    title: attr("label") || TEXT.pin,
    autoPan: true
  }).addTo(map);

  function markSet(isSet) {
    var el = marker.getElement();
    if (!el) { return; }
    if (isSet) { L.DomUtil.removeClass(el, "pin-unset"); } else { L.DomUtil.addClass(el, "pin-unset"); }
  }
  var pinEl = marker.getElement();
  if (pinEl) { pinEl.setAttribute("aria-label", attr("label") || TEXT.pin); }
  markSet(!!start);

  function placeAt(latlng) {
    marker.setLatLng(latlng);
    writeInputs(fromMap(latlng));
    markSet(true);
  }

  map.on("click", function (event) { placeAt(event.latlng); });
  marker.on("drag", function () { writeInputs(fromMap(marker.getLatLng())); markSet(true); });
  marker.on("dragend", function () { writeInputs(fromMap(marker.getLatLng())); });

  // Arrow keys on the focused pin move it (Shift: a finer step) instead of
  // panning the map.
  if (pinEl) {
    pinEl.addEventListener("keydown", function (event) {
      var key = event.key || event.keyCode;
      var step = event.shiftKey ? 2 : 10;
      var dx = 0;
      var dy = 0;
      if (key === "ArrowLeft" || key === "Left" || key === 37) { dx = -step; }
      else if (key === "ArrowRight" || key === "Right" || key === 39) { dx = step; }
      else if (key === "ArrowUp" || key === "Up" || key === 38) { dy = -step; }
      else if (key === "ArrowDown" || key === "Down" || key === 40) { dy = step; }
      else { return; }
      event.preventDefault();
      event.stopPropagation();
      var p = map.latLngToContainerPoint(marker.getLatLng()).add([dx, dy]);
      var latlng = map.containerPointToLatLng(p);
      placeAt(latlng);
      if (!map.getBounds().pad(-0.1).contains(latlng)) { map.panTo(latlng); }
    });
  }

  function follow() {
    var wgs = inputPosition();
    if (!wgs) { return; } // half-typed: leave the pin where it is
    var latlng = toMap(wgs[0], wgs[1]);
    marker.setLatLng(latlng);
    markSet(true);
    if (!map.getBounds().contains(latlng)) { map.panTo(latlng); }
  }
  latInput.addEventListener("input", follow);
  lngInput.addEventListener("input", follow);

  window.addEventListener("load", function () { map.invalidateSize(); });
})();
