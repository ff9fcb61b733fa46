/* The snap-and-report form: show the chosen category's questions and the anonymous box only
 * where allowed, and the map pin (tap to place, or "use my location"). The pin writes the hidden
 * lng/lat inputs; the server decides whether the place lies in a grid. */
(function () {
  "use strict";

  var form = document.getElementById("snap-form");
  if (!form) return;
  var i18n = document.getElementById("portal-i18n").dataset;

  function chosenCategory() {
    var checked = form.querySelector("input[name=category_code]:checked");
    return checked || null;
  }

  function syncCategory() {
    var chosen = chosenCategory();
    var code = chosen ? chosen.value : "";
    form.querySelectorAll("[data-questions]").forEach(function (box) {
      box.hidden = box.getAttribute("data-questions") !== code;
    });
    var anonymous = document.getElementById("anonymous-field");
    if (anonymous) {
      var allowed = chosen && chosen.getAttribute("data-anonymous") === "1";
      anonymous.hidden = !allowed;
      if (!allowed) anonymous.querySelector("input").checked = false;
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "category_code") syncCategory();
  });
  syncCategory();

  var el = document.getElementById("portal-map");
  if (!el || !window.L) return;
  var lngInput = form.querySelector("input[name=lng]");
  var latInput = form.querySelector("input[name=lat]");
  var status = document.getElementById("pin-status");
  var tileNode = document.getElementById("portal-tile");
  var tile = tileNode ? JSON.parse(tileNode.textContent) : null;
  var area = JSON.parse(document.getElementById("portal-area").textContent);

  var map = L.map(el, { attributionControl: Boolean(tile), tap: true });
  if (tile) {
    var options = { attribution: tile.attribution || "", maxZoom: 19 };
    if (tile.subdomains) options.subdomains = tile.subdomains;
    L.tileLayer(tile.url, options).addTo(map);
  }
  var outline = L.geoJSON(area, {
    style: { color: "#2f6f4f", weight: 2, fillOpacity: 0.04 },
    interactive: false,
  }).addTo(map);
  var marker = null;

  function place(latlng, message) {
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 12, color: "#b42318", weight: 3, fillOpacity: 0.5 }).addTo(map);
    lngInput.value = latlng.lng.toFixed(6);
    latInput.value = latlng.lat.toFixed(6);
    status.textContent = message || i18n.marked;
    status.setAttribute("data-pinned", "");
  }

  if (lngInput.value && latInput.value) {
    var start = L.latLng(parseFloat(latInput.value), parseFloat(lngInput.value));
    map.setView(start, 16);
    place(start);
  } else if (outline.getLayers().length) {
    map.fitBounds(outline.getBounds(), { padding: [8, 8] });
  } else {
    map.setView([30.5, 104.0], 13);
  }
  map.on("click", function (event) { place(event.latlng); });

  var locate = document.getElementById("use-location");
  var locationStatus = document.getElementById("location-status");
  if (navigator.geolocation && locate) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locationStatus.textContent = i18n.locating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var here = L.latLng(position.coords.latitude, position.coords.longitude);
          map.setView(here, 17);
          place(here, i18n.located);
          locationStatus.textContent = "";
        },
        function () { locationStatus.textContent = i18n.noLocation; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
  // The browser tests' map helpers look for this handle (see tests/browser/conftest.py).
  window.wanggeMap = { map: map, busy: function () { return 0; } };
})();
