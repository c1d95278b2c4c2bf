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
  if (!container || typeof window.L === "undefined") { return; }
  var L = window.L;

  function attr(name) {
    return container.getAttribute("data-" + name) || "";
  }
  var latInput = document.getElementById(attr("lat-input") || "lat");
  var lngInput = document.getElementById(attr("lng-input") || "lng");
  if (!latInput || !lngInput) { return; }

  /* ---- WGS-84 <-> GCJ-02 (Krasovsky 1940 ellipsoid, the published polynomials) ---- */
  var GCJ_A = 6378245.0;
  var GCJ_EE = 0.00669342162296594323;

  function outOfChina(lat, lng) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function gcjLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function gcjLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function wgsToGcj(lat, lng) {
    if (outOfChina(lat, lng)) { return [lat, lng]; }
    var dLat = gcjLat(lng - 105.0, lat - 35.0);
    var dLng = gcjLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI;
    var magic = Math.sin(radLat);
    magic = 1 - GCJ_EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic) * Math.PI);
    dLng = (dLng * 180.0) / (GCJ_A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }
  // GCJ-02 has no closed-form inverse: step the guess by the forward error
  // until it stops moving (converges to well under a millimetre in a few steps).
  function gcjToWgs(lat, lng) {
    if (outOfChina(lat, lng)) { return [lat, lng]; }
    var wLat = lat;
    var wLng = lng;
    for (var i = 0; i < 30; i++) {
      var g = wgsToGcj(wLat, wLng);
      var eLat = g[0] - lat;
      var eLng = g[1] - lng;
      wLat -= eLat;
      wLng -= eLng;
      if (Math.abs(eLat) < 1e-10 && Math.abs(eLng) < 1e-10) { break; }
    }
    return [wLat, wLng];
  }

  var gcj = attr("tile-crs").toLowerCase() === "gcj02";
  function toMap(lat, lng) {
    var p = gcj ? wgsToGcj(lat, lng) : [lat, lng];
    return L.latLng(p[0], p[1]);
  }
  function fromMap(latlng) {
    var w = L.latLng(latlng).wrap();
    return gcj ? gcjToWgs(w.lat, w.lng) : [w.lat, w.lng];
  }

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

  // Respect "reduce motion": no zoom or fade animations.
  var still = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  var map = L.map(container, {
    zoomControl: false,
    zoomAnimation: !still,
    fadeAnimation: !still,
    markerZoomAnimation: !still
  });
  L.control.zoom({ zoomInTitle: TEXT.zoomIn, zoomOutTitle: TEXT.zoomOut }).addTo(map);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" rel="noopener noreferrer">Leaflet</a>');

  function escapeText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  var template = attr("tiles");
  if (template) {
    var maxZoom = parseInt(attr("tile-max-zoom"), 10);
    var tiles = L.tileLayer(template, {
      subdomains: attr("tile-subdomains") || "abc",
      maxZoom: maxZoom > 0 ? maxZoom : 18,
      attribution: attr("attribution") ? escapeText(attr("attribution")) : ""
    });
    tiles.on("tileerror", function () { L.DomUtil.addClass(container, "no-tiles"); });
    tiles.addTo(map);
  } else {
    L.DomUtil.addClass(container, "no-tiles");
  }

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
