/* A grid's buildings on a small Leaflet map (grid register page).
 *
 * Points come embedded in the page (json_script). No cluster library is installed, so points
 * that fall within CELL pixels of each other at the current zoom are drawn as one numbered
 * circle; a click on it zooms in, a click on a single building opens its page.
 */
(function () {
  "use strict";

  var el = document.getElementById("register-map");
  if (!el || !window.L) return;
  var points = JSON.parse(document.getElementById("register-points").textContent);
  var boundary = JSON.parse(document.getElementById("register-boundary").textContent);
  var tileNode = document.getElementById("register-tile");
  var tile = tileNode ? JSON.parse(tileNode.textContent) : null;
  var buildingUrl = el.getAttribute("data-building-url");
  var CELL = 48;

  var map = L.map(el, { zoomSnap: 0.5, attributionControl: Boolean(tile) });
  if (tile) {
    var options = { attribution: tile.attribution || "", maxZoom: 19 };
    if (tile.subdomains) options.subdomains = tile.subdomains;
    L.tileLayer(tile.url, options).addTo(map);
  }
  var outline = boundary
    ? L.geoJSON(boundary, { style: { color: "#2563eb", weight: 2, fillColor: "#3b82f6", fillOpacity: 0.08 },
        interactive: false }).addTo(map)
    : null;
  var layer = L.layerGroup().addTo(map);

  // A building's name is text a grid worker typed: Leaflet would write a string tooltip as HTML,
  // so it gets an element holding a text node.
  function label(text) {
    var span = document.createElement("span");
    span.className = "building-label";
    span.textContent = text == null ? "" : String(text);
    return span;
  }

  function open(id) {
    window.location.href = buildingUrl.replace("/0/", "/" + id + "/");
  }

  function draw() {
    layer.clearLayers();
    var cells = {};
    points.features.forEach(function (f) {
      var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      var p = map.project(ll, map.getZoom());
      var key = Math.floor(p.x / CELL) + ":" + Math.floor(p.y / CELL);
      (cells[key] = cells[key] || []).push({ ll: ll, f: f });
    });
    Object.keys(cells).forEach(function (key) {
      var group = cells[key];
      if (group.length === 1) {
        var one = group[0];
        L.circleMarker(one.ll, { radius: 9, color: "#fff", weight: 2, fillColor: "#1d4ed8", fillOpacity: 0.9 })
          .bindTooltip(label(one.f.properties.name))
          .on("click", function () { open(one.f.properties.id); })
          .addTo(layer);
        return;
      }
      var lat = 0, lng = 0;
      group.forEach(function (g) { lat += g.ll.lat; lng += g.ll.lng; });
      var centre = L.latLng(lat / group.length, lng / group.length);
      var size = group.length < 10 ? 34 : group.length < 100 ? 40 : 48;
      L.marker(centre, {
        icon: L.divIcon({ className: "building-cluster", html: String(group.length),
          iconSize: [size, size] }),
        keyboard: true,
        title: String(group.length),
      })
        .on("click", function () {
          map.fitBounds(L.latLngBounds(group.map(function (g) { return g.ll; })).pad(0.3), { maxZoom: 19 });
        })
        .addTo(layer);
    });
  }

  var bounds = outline ? outline.getBounds() : L.latLngBounds([]);
  points.features.forEach(function (f) {
    bounds.extend([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
  });
  map.fitBounds(bounds.pad(0.05), { maxZoom: 18 });
  map.on("zoomend", draw);
  draw();
  document.documentElement.setAttribute("data-register-map-ready", "true");
})();
