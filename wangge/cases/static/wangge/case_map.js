/* The place of one case on a small Leaflet map (case page). The point and the tile settings
 * come embedded in the page (json_script); without a tile source the map is a plain pin. */
(function () {
  "use strict";

  var el = document.getElementById("case-map");
  if (!el || !window.L) return;
  var point = JSON.parse(document.getElementById("case-point").textContent);
  var tileNode = document.getElementById("case-tile");
  var tile = tileNode ? JSON.parse(tileNode.textContent) : null;
  var map = L.map(el, { attributionControl: Boolean(tile) });
  if (tile) {
    var options = { attribution: tile.attribution || "", maxZoom: 19 };
    if (tile.subdomains) options.subdomains = tile.subdomains;
    L.tileLayer(tile.url, options).addTo(map);
  }
  var ll = L.latLng(point.lat, point.lng);
  L.circleMarker(ll, { radius: 8, color: "#b42318", weight: 2, fillOpacity: 0.6 }).addTo(map);
  map.setView(ll, 17);
})();
