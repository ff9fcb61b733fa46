/* The org map: the actor's units as polygons on Leaflet, a grid's card on click, the tree zooms.
 *
 * The page embeds its configuration and the first FeatureCollection as JSON (json_script), so the
 * map draws without a second request and without tiles (the demo needs no network). After an
 * edit the layer is reloaded from the API. window.wanggeMap is the small interface the grid editor
 * (grid_editor.js) and the browser tests use.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var initial = JSON.parse(document.getElementById("map-data").textContent);
  var cardSlot = document.getElementById("grid-card");
  var GRID_KINDS = ["grid", "dedicated_grid"];

  // Outlines of streets, communities and sectors lie above the grids (in their own pane, which
  // lets clicks through), so community borders stay visible over the grids that fill them.
  var STYLE = {
    street: { pane: "wangge-outlines", color: "#0f172a", weight: 4, fill: false, interactive: false },
    community: { pane: "wangge-outlines", color: "#334155", weight: 3, dashArray: "8 5", fill: false,
      interactive: false },
    sector: { pane: "wangge-outlines", color: "#64748b", weight: 2, dashArray: "2 4", fill: false,
      interactive: false },
    grid: { color: "#2563eb", weight: 1.5, fillColor: "#3b82f6", fillOpacity: 0.14 },
    dedicated_grid: { color: "#7c3aed", weight: 1.5, fillColor: "#a78bfa", fillOpacity: 0.22 },
    selected: { weight: 4, color: "#1e3a8a", fillOpacity: 0.34 },
    problem: { weight: 4, color: "#b42318", fillColor: "#ef4444", fillOpacity: 0.3 },
  };

  var map = L.map("map", {
    zoomSnap: 0.25,
    attributionControl: Boolean(cfg.tile),
    // The editor snaps and drags vertices on SVG paths; canvas would lose per-layer events.
    preferCanvas: false,
  });
  var outlinePane = map.createPane("wangge-outlines");
  outlinePane.style.zIndex = 450;
  outlinePane.style.pointerEvents = "none";
  if (cfg.tile) {
    var tileOptions = { attribution: cfg.tile.attribution || "", maxZoom: 19 };
    if (cfg.tile.subdomains) tileOptions.subdomains = cfg.tile.subdomains;
    L.tileLayer(cfg.tile.url, tileOptions).addTo(map);
  } else {
    document.body.classList.add("map-plain");
  }

  var areaLayer = L.featureGroup().addTo(map); // street, communities, sectors: outlines only
  var gridLayer = L.featureGroup().addTo(map);
  var byCode = {};
  var featuresByCode = {};
  var selectedCode = null;
  var marked = { codes: [], marker: null };
  var colour = { metric: "", counts: null, max: 0 }; // the choropleth (see "Colouring" below)
  var listeners = { select: [], reload: [] };

  // Every request the map makes goes through here, so that "nothing is loading" can be known
  // (aria-busy on the map, and the browser tests wait for it before they look at the database).
  var inFlight = 0;
  var container = document.getElementById("map");
  function track(promise) {
    inFlight += 1;
    container.setAttribute("aria-busy", "true");
    function done() {
      inFlight -= 1;
      if (!inFlight) container.removeAttribute("aria-busy");
    }
    promise.then(done, done);
    return promise;
  }
  function request(url, options) {
    return track(fetch(url, L.extend({ credentials: "same-origin" }, options || {})));
  }

  // Stored text reaches the page only as a text node, never through innerHTML.
  function textElement(tag, text) {
    var element = document.createElement(tag);
    element.textContent = text == null ? "" : String(text);
    return element;
  }

  function isGrid(props) {
    return GRID_KINDS.indexOf(props.kind) >= 0;
  }

  function baseStyle(props) {
    return STYLE[props.kind] || STYLE.grid;
  }

  function restyle(code) {
    var layer = byCode[code];
    if (!layer) return;
    var props = featuresByCode[code].properties;
    var style = L.extend({}, baseStyle(props));
    if (colour.metric && isGrid(props)) L.extend(style, choropleth(code));
    if (code === selectedCode) L.extend(style, STYLE.selected);
    if (marked.codes.indexOf(code) >= 0) L.extend(style, STYLE.problem);
    layer.setStyle(style);
  }

  function draw(collection) {
    areaLayer.clearLayers();
    gridLayer.clearLayers();
    byCode = {};
    featuresByCode = {};
    (collection.features || []).forEach(function (feature) {
      var props = feature.properties || {};
      if (!feature.geometry || !props.code) return;
      var layer = L.geoJSON(feature, { style: baseStyle(props) });
      // One GeoJSON feature gives one inner layer: keep that, so the editor can reshape it.
      var inner = layer.getLayers()[0];
      inner.feature = feature;
      byCode[props.code] = inner;
      featuresByCode[props.code] = feature;
      if (isGrid(props)) {
        // An element, not a string: Leaflet writes a string tooltip as HTML, and a grid's name is
        // text typed by an admin.
        inner.labelText = shortName(props, collection);
        inner.bindTooltip(textElement("span", inner.labelText), {
          permanent: true, direction: "center", className: "grid-label",
        });
        inner.on("click", function () {
          // While the editor draws, a click on a grid is a vertex, not a selection; the event
          // goes on to the map, where Geoman listens.
          if (map.pm && map.pm.globalDrawModeEnabled && map.pm.globalDrawModeEnabled()) return;
          select(props.code, { openCard: true, zoom: false, source: "map" });
        });
        gridLayer.addLayer(inner);
      } else {
        // Administrative outlines are never edited here, but new grids snap to their borders.
        areaLayer.addLayer(inner);
      }
    });
    if (selectedCode && !byCode[selectedCode]) selectedCode = null;
    Object.keys(byCode).forEach(restyle);
    fitLabels();
  }

  // "三苏社区第一网格" inside 三苏社区 is labelled "第一网格": the community is drawn around it.
  function shortName(props, collection) {
    var parent = (collection.features || []).filter(function (f) {
      return f.properties && f.properties.code === props.parent_code;
    })[0];
    var prefix = parent ? parent.properties.name : "";
    return prefix && props.name.indexOf(prefix) === 0 && props.name.length > prefix.length
      ? props.name.slice(prefix.length)
      : props.name;
  }

  // Show a grid's label only where the grid is big enough on screen to hold it, so that zoomed
  // out the map is not a pile of overlapping names; zooming in reveals them.
  function fitLabels() {
    if (!map._loaded) return; // no view yet: nothing is on screen to measure
    gridLayer.eachLayer(function (layer) {
      var tooltip = layer.getTooltip();
      if (!tooltip) return;
      var bounds = layer.getBounds();
      var nw = map.latLngToContainerPoint(bounds.getNorthWest());
      var se = map.latLngToContainerPoint(bounds.getSouthEast());
      var text = layer.labelText || "";
      var fits = (se.x - nw.x) > text.length * 13 + 12 && (se.y - nw.y) > 28;
      var code = layer.feature.properties.code;
      if (fits || code === selectedCode) layer.openTooltip();
      else layer.closeTooltip();
    });
  }
  map.on("zoomend", fitLabels);

  function fitAll() {
    var bounds = L.latLngBounds([]);
    [areaLayer, gridLayer].forEach(function (group) {
      if (group.getLayers().length) bounds.extend(group.getBounds());
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else map.setView([30.05, 103.83], 12); // nothing to show: somewhere sensible, not the ocean
  }

  function zoomTo(code) {
    var layer = byCode[code];
    if (!layer) return false;
    map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 17 });
    return true;
  }

  function openCard(code) {
    if (!cardSlot || !cfg.cardUrl) return Promise.resolve();
    var url = cfg.cardUrl.replace("__CODE__", encodeURIComponent(code));
    cardSlot.setAttribute("aria-busy", "true");
    return request(url, { headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        cardSlot.innerHTML = html;
        // On a phone the panel is below the map: bring the card into view.
        if (!cfg.editable && window.matchMedia("(max-width: 47.99rem)").matches) {
          cardSlot.scrollIntoView({ block: "nearest" });
        }
      })
      .catch(function () {
        cardSlot.innerHTML = '<p class="alert alert-error" role="alert"></p>';
        cardSlot.firstChild.textContent = cfg.i18n.cardFailed;
      })
      .finally(function () {
        cardSlot.removeAttribute("aria-busy");
      });
  }

  function markTree(code) {
    document.querySelectorAll(".tree-unit.is-selected").forEach(function (el) {
      el.classList.remove("is-selected");
      el.removeAttribute("aria-current");
    });
    var button = document.querySelector('.tree-unit[data-code="' + code + '"]');
    if (button) {
      button.classList.add("is-selected");
      button.setAttribute("aria-current", "true");
      // Open the branches above it so the selection is visible.
      for (var el = button.parentElement; el; el = el.parentElement) {
        if (el.tagName === "DETAILS") el.open = true;
      }
    }
  }

  function select(code, options) {
    options = options || {};
    var previous = selectedCode;
    var feature = featuresByCode[code];
    selectedCode = feature && isGrid(feature.properties) ? code : null;
    if (previous) restyle(previous);
    if (selectedCode) restyle(selectedCode);
    fitLabels();
    markTree(code);
    if (options.zoom) zoomTo(code);
    var done = options.openCard && feature && isGrid(feature.properties) ? openCard(code) : Promise.resolve();
    listeners.select.forEach(function (fn) { fn(code, feature, options); });
    return done;
  }

  function clearProblem() {
    var codes = marked.codes;
    marked.codes = [];
    codes.forEach(restyle);
    if (marked.marker) {
      map.removeLayer(marked.marker);
      marked.marker = null;
    }
  }

  // Show where a rule failed: the other grid in red and a pulsing ring at [lng, lat].
  function markProblem(detail) {
    clearProblem();
    detail = detail || {};
    ["feature", "other"].forEach(function (key) {
      if (detail[key] && byCode[detail[key]] && isGrid(featuresByCode[detail[key]].properties)) {
        marked.codes.push(detail[key]);
        restyle(detail[key]);
      }
    });
    if (Array.isArray(detail.where) && detail.where.length === 2) {
      marked.marker = L.circleMarker([detail.where[1], detail.where[0]], {
        radius: 12, color: "#b42318", weight: 3, fillColor: "#fde047", fillOpacity: 0.8,
        className: "where-marker", pmIgnore: true, interactive: false,
      }).addTo(map);
      if (!map.getBounds().contains(marked.marker.getLatLng())) map.panTo(marked.marker.getLatLng());
    }
  }

  function reload() {
    return request(cfg.geojsonUrl, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (collection) {
        draw(collection);
        listeners.reload.forEach(function (fn) { fn(collection); });
        return collection;
      });
  }

  // The tree: a click on a unit zooms to it (and opens a grid's card).
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".tree-unit");
    if (!button) return;
    event.preventDefault();
    var code = button.getAttribute("data-code");
    var feature = featuresByCode[code];
    select(code, { zoom: true, openCard: Boolean(feature && isGrid(feature.properties)), source: "tree" });
  });

  draw(initial);
  fitAll();
  fitLabels();
  // On a phone the map sits above the panel; the map's size is only right after layout.
  window.addEventListener("resize", function () { map.invalidateSize(); });

  // Colouring: grids filled by one count (households, persons, a key population…) on a
  // sequential ramp. The counts of all the actor's grids come in one request, on first use.
  var RAMP = ["#eff6ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  var colourBox = document.getElementById("map-colour");
  var colourSelect = document.getElementById("map-colour-metric");
  var colourLegend = document.getElementById("map-colour-legend");

  function metricValue(code) {
    var counts = colour.counts && colour.counts[code];
    if (!counts) return null;
    if (colour.metric.indexOf("tag:") === 0) {
      var value = counts.key_populations[colour.metric.slice(4)];
      return value === undefined ? null : value;
    }
    return counts[colour.metric] === undefined ? null : counts[colour.metric];
  }

  // Class k of the ramp holds values in (max·(k-1)/n, max·k/n]; zero has the palest colour.
  function rampIndex(value) {
    if (!value || !colour.max) return 0;
    var classes = RAMP.length - 1;
    return Math.max(1, Math.min(classes, Math.ceil(value / colour.max * classes)));
  }

  function choropleth(code) {
    var value = metricValue(code);
    if (value === null) return { fillColor: "#e5e7eb", fillOpacity: 0.5 };
    return { fillColor: RAMP[rampIndex(value)], fillOpacity: 0.75 };
  }

  function drawLegend() {
    colourLegend.textContent = "";
    if (!colour.metric) return;
    var classes = RAMP.length - 1;
    var bounds = [[0, 0]];
    for (var k = 1; k <= classes && colour.max; k += 1) {
      var low = Math.floor(colour.max * (k - 1) / classes) + 1;
      var high = Math.floor(colour.max * k / classes);
      if (high >= low) bounds.push([low, high, k]);
    }
    bounds.forEach(function (range) {
      var row = document.createElement("div");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = RAMP[range[2] || 0];
      swatch.style.borderColor = "#94a3b8";
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(range[0] === range[1] ? String(range[0])
        : range[0] + "–" + range[1]));
      colourLegend.appendChild(row);
    });
  }

  function colourBy(metric) {
    colour.metric = metric || "";
    var ready = colour.counts || !colour.metric ? Promise.resolve(colour.counts)
      : request(cfg.api.counts, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        });
    return ready.then(function (counts) {
      colour.counts = counts;
      colour.max = 0;
      if (colour.metric) {
        Object.keys(counts || {}).forEach(function (code) {
          var value = metricValue(code);
          if (value > colour.max) colour.max = value;
        });
      }
      Object.keys(byCode).forEach(restyle);
      drawLegend();
    }).catch(function () {
      colour.metric = "";
      colourLegend.textContent = cfg.i18n.countsFailed;
      Object.keys(byCode).forEach(restyle);
    });
  }

  if (colourBox && colourSelect && cfg.api.counts) {
    // Over the map's top-right corner, as a Leaflet control (clicks do not reach the map).
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      colourBox.hidden = false;
      colourBox.classList.add("leaflet-bar");
      colourBox.style.background = "#fff";
      colourBox.style.padding = "0.4rem 0.5rem";
      colourBox.style.fontSize = "0.8rem";
      L.DomEvent.disableClickPropagation(colourBox);
      return colourBox;
    };
    control.addTo(map);
    colourSelect.addEventListener("change", function () { colourBy(colourSelect.value); });
  }

  window.wanggeMap = {
    map: map,
    config: cfg,
    gridLayer: gridLayer,
    layer: function (code) { return byCode[code] || null; },
    feature: function (code) { return featuresByCode[code] || null; },
    codes: function () { return Object.keys(featuresByCode); },
    selected: function () { return selectedCode; },
    select: select,
    openCard: openCard,
    request: request,
    track: track,
    busy: function () { return inFlight; },
    zoomTo: zoomTo,
    reload: reload,
    restyle: restyle,
    markProblem: markProblem,
    clearProblem: clearProblem,
    colourBy: colourBy,
    colourOf: function (code) { return colour.metric ? choropleth(code).fillColor : null; },
    on: function (name, fn) { listeners[name].push(fn); },
  };

  if (cfg.focus && featuresByCode[cfg.focus]) {
    select(cfg.focus, { zoom: true, openCard: isGrid(featuresByCode[cfg.focus].properties) });
  }
  document.documentElement.setAttribute("data-map-ready", "true");
})();
