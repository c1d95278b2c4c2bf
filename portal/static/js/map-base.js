/* Shared by station-map.js and pin-picker.js (load it first, after leaflet.js):
   the WGS-84 <-> GCJ-02 transform, and a Leaflet map with our controls, the tile
   rules (data-tiles, data-tile-crs, data-attribution, data-tile-subdomains,
   data-tile-max-zoom) and the plain "no-tiles" background when there are none.
   ES5 on purpose: old Android WebViews (inside WeChat) still matter. */
(function () {
  "use strict";
  if (typeof window.L === "undefined") { return; }
  var L = window.L;

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

  /* ---- the map ---- */
  // createMap(container, {zoomIn, zoomOut}) -> {map, toMap(lat, lng), fromMap(latlng)}
  // toMap/fromMap convert between the WGS-84 the page holds and the tiles' datum.
  function createMap(container, TEXT) {
    function attr(name) {
      return container.getAttribute("data-" + name) || "";
    }
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
    var gcj = attr("tile-crs").toLowerCase() === "gcj02";
    return {
      map: map,
      toMap: function (lat, lng) {
        var p = gcj ? wgsToGcj(lat, lng) : [lat, lng];
        return L.latLng(p[0], p[1]);
      },
      fromMap: function (latlng) {
        var w = L.latLng(latlng).wrap();
        return gcj ? gcjToWgs(w.lat, w.lng) : [w.lat, w.lng];
      }
    };
  }

  window.PortalMap = { wgsToGcj: wgsToGcj, gcjToWgs: gcjToWgs, createMap: createMap };
})();
