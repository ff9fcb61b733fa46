/* Case maps on Leaflet.
 *
 * The case page: the place of one case (#case-map; point and tiles embedded with json_script).
 * The case map page (/cases/map/): the actor's cases as dots coloured by state with a red or
 * yellow ring for a card, over the grids of the actor's area; past the server's cap, one count per
 * grid. The first layer is embedded in the page; a filter change fetches the layer from the API
 * and keeps the address bar in step, so a reload or a shared link shows the same view.
 * Without a tile source the map is drawn on a plain background.
 */
(function () {
  "use strict";

  function tileLayer(map, tile) {
    if (!tile) return;
    var options = { attribution: tile.attribution || "", maxZoom: 19 };
    if (tile.subdomains) options.subdomains = tile.subdomains;
    L.tileLayer(tile.url, options).addTo(map);
  }

  function casePoint() {
    var el = document.getElementById("case-map");
    if (!el || !window.L) return;
    var point = JSON.parse(document.getElementById("case-point").textContent);
    var tileNode = document.getElementById("case-tile");
    var tile = tileNode ? JSON.parse(tileNode.textContent) : null;
    var map = L.map(el, { attributionControl: Boolean(tile) });
    tileLayer(map, tile);
    var ll = L.latLng(point.lat, point.lng);
    L.circleMarker(ll, { radius: 8, color: "#b42318", weight: 2, fillOpacity: 0.6 }).addTo(map);
    map.setView(ll, 17);
  }

  // Build an element whose content is text only: stored names (categories, grids) never pass
  // through innerHTML, so markup in them shows as typed.
  function el(tag, text, className) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text != null) element.textContent = String(text);
    return element;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  function caseMapPage() {
    var configNode = document.getElementById("case-map-config");
    if (!configNode || !window.L) return;
    var cfg = JSON.parse(configNode.textContent);
    var grids = JSON.parse(document.getElementById("case-map-grids").textContent);
    var first = JSON.parse(document.getElementById("case-map-layer").textContent);
    var form = document.getElementById("case-filters");
    var status = document.getElementById("map-status");
    var container = document.getElementById("map");
    var t = cfg.i18n;

    var map = L.map(container, { zoomSnap: 0.25, attributionControl: Boolean(cfg.tile) });
    tileLayer(map, cfg.tile);
    if (!cfg.tile) document.body.classList.add("map-plain");
    var areas = L.geoJSON(grids, {
      style: function (feature) {
        var kind = feature.properties.kind;
        if (kind === "grid" || kind === "dedicated_grid") {
          return { color: "#2563eb", weight: 1, fillColor: "#3b82f6", fillOpacity: 0.06 };
        }
        return { color: "#334155", weight: 2.5, dashArray: "8 5", fill: false, interactive: false };
      },
    }).addTo(map);
    var cases = L.featureGroup().addTo(map);

    function fit() {
      // The actor's area frames the map; a department (no area) is framed by its cases.
      var bounds = areas.getLayers().length ? areas.getBounds() : cases.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
      else map.setView([30.05, 103.83], 13);
    }

    // Popups are elements, not HTML strings (Leaflet writes a string popup as HTML).
    function popup(props, categories) {
      var state = cfg.states[props.state] || { label: props.state };
      var url = cfg.caseUrl.replace(cfg.placeholder, encodeURIComponent(props.number));
      var due = props.due ? props.due.slice(0, 16).replace("T", " ") : "—";
      var card = props.card ? " · " + (t[props.card] || props.card) : "";
      var box = document.createElement("div");
      var list = el("dl", null, "case-popup");
      list.appendChild(el("dt", props.number));
      list.appendChild(el("dd", t.category + ": " + props.category + " " + (categories[props.category] || "")));
      list.appendChild(el("dd", t.state + ": " + state.label + card));
      list.appendChild(el("dd", t.due + ": " + due));
      var link = el("a", t.open, "button");
      link.href = url;
      box.appendChild(list);
      box.appendChild(link);
      return box;
    }

    function gridPopup(props) {
      var box = document.createElement("div");
      box.appendChild(el("strong", props.name));
      box.appendChild(el("div", props.count + " " + t.cases));
      box.appendChild(el("div", t.red + ": " + props.red + " · " + t.yellow + ": " + props.yellow));
      return box;
    }

    function drawPoints(layer) {
      layer.features.forEach(function (feature) {
        var props = feature.properties;
        var c = feature.geometry.coordinates;
        var state = cfg.states[props.state] || { colour: "#64748b" };
        var ring = props.card === "red" ? "#dc2626" : props.card === "yellow" ? "#eab308" : "#ffffff";
        var marker = L.circleMarker([c[1], c[0]], {
          radius: props.card ? 8 : 6,
          color: ring,
          weight: props.card ? 3 : 1.5,
          fillColor: state.colour,
          fillOpacity: 0.9,
          className: "case-marker case-" + props.state + (props.card ? " card-" + props.card : ""),
        });
        marker.bindPopup(popup(props, layer.categories || {}));
        marker.caseNumber = props.number;
        cases.addLayer(marker);
      });
    }

    function drawGrids(layer) {
      layer.features.forEach(function (feature) {
        var props = feature.properties;
        var c = feature.geometry.coordinates;
        var size = Math.min(56, 26 + String(props.count).length * 6);
        var icon = L.divIcon({
          className: "case-cluster" + (props.red ? " has-red" : ""),
          html: el("span", props.count),
          iconSize: [size, size],
        });
        // title is set as an attribute by Leaflet, so the name stays text there too.
        var marker = L.marker([c[1], c[0]], { icon: icon, keyboard: true, title: props.name });
        marker.bindPopup(gridPopup(props));
        cases.addLayer(marker);
      });
    }

    function draw(layer) {
      cases.clearLayers();
      if (layer.mode === "grids") drawGrids(layer);
      else drawPoints(layer);
      status.dataset.mode = layer.mode;
      status.dataset.total = String(layer.total);
      if (layer.mode === "grids") status.textContent = format(t.tooMany, { limit: layer.limit });
      else if (layer.total) status.textContent = format(t.shown, { count: layer.total });
      else status.textContent = t.none;
    }

    var pending = null;
    function reload() {
      var params = new URLSearchParams(new FormData(form));
      var query = params.toString();
      if (pending) pending.abort();
      pending = new AbortController();
      container.setAttribute("aria-busy", "true");
      status.textContent = t.loading;
      history.replaceState(null, "", form.action + (query ? "?" + query : ""));
      fetch(cfg.layerUrl + "?" + query, { credentials: "same-origin", signal: pending.signal })
        .then(function (response) {
          if (!response.ok) {
            return response.json().then(function (body) { throw new Error(body.message || t.failed); });
          }
          return response.json();
        })
        .then(function (layer) {
          draw(layer);
          container.removeAttribute("aria-busy");
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          status.textContent = error.message || t.failed;
          container.removeAttribute("aria-busy");
        });
    }

    form.addEventListener("change", reload);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      reload();
    });
    draw(first);
    fit();
    window.wanggeCaseMap = { map: map, cases: cases, reload: reload };
  }

  casePoint();
  caseMapPage();
})();
