/* Station map view. Needs /static/vendor/leaflet/leaflet.js loaded first.
   Contract (see the station map template):
     div#station-map.station-map
       data-tiles          tile URL template ({s} {z} {x} {y}); empty = no tiles
       data-label-tiles    optional second layer over the tiles (天地图 cva_w place names)
       data-tile-crs       "wgs84" (default) or "gcj02" (AMap, Tencent…)
       data-attribution    plain text credit for the tiles (shown as text)
       data-tile-subdomains  optional, default "abc"
       data-tile-max-zoom    optional, default 18
       data-lat, data-lng  WGS-84 centre / the user's position
       data-here="1"       draw a "you are here" marker at data-lat/lng
       data-here-label     its popup text
       Anything inside the div is a no-JS fallback and is replaced.
     script#station-data[type=application/json]
       [{id, name, lat, lng (WGS-84), url, distance, open, status, address}]
   Station names are user data: popups are built with DOM nodes only.
   ES5 on purpose: old Android WebViews (inside WeChat) still matter. */
(function () {
  "use strict";

  var container = document.getElementById("station-map");
  if (!container || typeof window.L === "undefined" || !window.PortalMap) { return; }
  var L = window.L;

  /* ---- reading the page ---- */
  function num(value) {
    if (value === null || value === undefined || value === "") { return NaN; }
    var n = typeof value === "number" ? value : parseFloat(value);
    return isFinite(n) ? n : NaN;
  }
  function validLatLng(lat, lng) {
    return !isNaN(lat) && !isNaN(lng) && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180;
  }
  function attr(name) {
    return container.getAttribute("data-" + name) || "";
  }

  var english = /^en\b/i.test(document.documentElement.getAttribute("lang") || "");
  var TEXT = english
    ? { zoomIn: "Zoom in", zoomOut: "Zoom out", close: "Close", map: "Map of stations" }
    : { zoomIn: "放大", zoomOut: "缩小", close: "关闭", map: "服务站点地图" };


  var stations = [];
  var dataNode = document.getElementById("station-data");
  if (dataNode) {
    try {
      stations = JSON.parse(dataNode.textContent || "[]");
    } catch (e) {
      stations = [];
    }
    if (!(stations instanceof Array)) { stations = []; }
  }

  var centreLat = num(attr("lat"));
  var centreLng = num(attr("lng"));
  var hasCentre = validLatLng(centreLat, centreLng);

  /* ---- the map ---- */
  while (container.firstChild) { container.removeChild(container.firstChild); }
  if (!container.getAttribute("aria-label")) { container.setAttribute("aria-label", TEXT.map); }

  var built = window.PortalMap.createMap(container, TEXT);
  var map = built.map;
  var toMap = built.toMap;
  if (attr("tiles") && attr("label-tiles")) {
    L.tileLayer(attr("label-tiles"), { subdomains: attr("tile-subdomains") || "abc", maxZoom: 18 }).addTo(map);
  }
  // Without streets, a scale bar is what tells how far apart the markers are.
  L.control.scale({ metric: true, imperial: false }).addTo(map);

  // Leaflet's close button says "Close popup" in English whatever the page.
  map.on("popupopen", function (event) {
    var el = event.popup.getElement();
    var close = el && el.querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", TEXT.close); }
  });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null && text !== "") { node.appendChild(document.createTextNode(String(text))); }
    return node;
  }

  function safeUrl(url) {
    url = typeof url === "string" ? url : "";
    // Same-site paths and http(s) only: never javascript: or data:.
    if (/^\/(?!\/)/.test(url) || /^https?:\/\//i.test(url)) { return url; }
    return "";
  }

  function popupFor(station) {
    var box = el("div", "station-popup");
    var title = el("p", "station-popup-name");
    var href = safeUrl(station.url);
    if (href) {
      var link = el("a", "", station.name);
      link.href = href;
      title.appendChild(link);
    } else {
      title.appendChild(document.createTextNode(String(station.name || "")));
    }
    box.appendChild(title);
    var facts = el("p", "station-popup-facts");
    if (station.status) {
      facts.appendChild(el("span", "station-popup-status " + (station.open ? "is-open" : "is-closed"), station.status));
    }
    if (station.distance) {
      facts.appendChild(el("span", "station-popup-distance", station.distance));
    }
    if (facts.firstChild) { box.appendChild(facts); }
    if (station.address) { box.appendChild(el("p", "station-popup-address", station.address)); }
    return box;
  }

  var points = [];
  var placed = 0;

  if (hasCentre && attr("here") === "1") {
    var here = toMap(centreLat, centreLng);
    points.push(here);
    L.circleMarker(here, {
      radius: 18, stroke: false, fillColor: "#1a5fb4", fillOpacity: 0.18,
      interactive: false, className: "here-halo"
    }).addTo(map);
    var hereDot = L.circleMarker(here, {
      radius: 8, color: "#fff", weight: 3, opacity: 1, fillColor: "#1a5fb4", fillOpacity: 1,
      className: "here-marker"
    }).addTo(map);
    if (attr("here-label")) {
      hereDot.bindPopup(el("p", "station-popup-here", attr("here-label")));
    }
  }

  for (var i = 0; i < stations.length; i++) {
    var s = stations[i];
    if (!s || typeof s !== "object") { continue; }
    var lat = num(s.lat);
    var lng = num(s.lng);
    if (!validLatLng(lat, lng)) { continue; }
    var at = toMap(lat, lng);
    points.push(at);
    placed += 1;
    var open = s.open === true;
    L.circleMarker(at, {
      radius: 9, color: "#fff", weight: 2, opacity: 1,
      fillColor: open ? "#1e8a3c" : "#7c7c86", fillOpacity: 1,
      interactive: false,
      className: "station-marker " + (open ? "is-open" : "is-closed")
    }).addTo(map);
    // A 9 px dot is a small target for a finger: an invisible 44 px circle
    // over it takes the taps and opens the popup.
    L.circleMarker(at, {
      radius: 22, stroke: false, fillColor: "#000", fillOpacity: 0,
      className: "station-hit"
    }).bindPopup(popupFor(s), { maxWidth: 280 }).addTo(map);
  }

  if (placed > 0) {
    map.fitBounds(L.latLngBounds(points), { padding: [36, 36], maxZoom: 16 });
  } else if (hasCentre) {
    map.setView(toMap(centreLat, centreLng), 13);
  } else {
    map.setView([35.86, 104.19], 4); // China, when the page gave no centre
  }

  // The page may lay out after the script ran (fonts, a hidden tab…).
  window.addEventListener("load", function () { map.invalidateSize(); });
})();
