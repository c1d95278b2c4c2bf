/* Station map view. Needs /static/vendor/leaflet/leaflet.js loaded first.
   Contract (see the station map template):
     div#station-map.station-map
       data-tiles          tile URL template ({s} {z} {x} {y}); empty = no tiles
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
  if (!container || typeof window.L === "undefined") { return; }
  var L = window.L;

  /* ---- WGS-84 -> GCJ-02 (Krasovsky 1940 ellipsoid, the published polynomials) ---- */
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

  var gcj = attr("tile-crs").toLowerCase() === "gcj02";
  function toMap(lat, lng) {
    var p = gcj ? wgsToGcj(lat, lng) : [lat, lng];
    return L.latLng(p[0], p[1]);
  }

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
      // Leaflet writes attributions with innerHTML: keep ours plain text.
      attribution: attr("attribution") ? escapeText(attr("attribution")) : ""
    });
    // A failed tile (offline, blocked, provider down): show the plain
    // background behind whatever did not load; the markers stay usable.
    tiles.on("tileerror", function () { L.DomUtil.addClass(container, "no-tiles"); });
    tiles.addTo(map);
  } else {
    L.DomUtil.addClass(container, "no-tiles");
  }

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
