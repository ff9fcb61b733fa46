/* The grid editor (admins only): draw, reshape, split and merge grids with Leaflet-Geoman.
 *
 * Every save goes to the API; the server decides. A refusal shows the server's message (which
 * rule, which other grid) and marks detail.where on the map; a success reloads the layer. The
 * page only includes this script for admins, and the API refuses everyone else anyway.
 */
(function () {
  "use strict";

  var wm = window.wanggeMap;
  var cfg = wm.config;
  var t = cfg.i18n;
  var map = wm.map;

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    status: $("editor-status"),
    error: $("editor-error"),
    selected: $("editor-selected"),
    newParent: $("new-parent"),
    newCode: $("new-code"),
    newName: $("new-name"),
    draw: $("btn-draw"),
    create: $("btn-create"),
    discard: $("btn-discard"),
    edit: $("btn-edit"),
    saveShape: $("btn-save-shape"),
    cancelEdit: $("btn-cancel-edit"),
    split: $("btn-split"),
    splitCode: $("split-code"),
    splitName: $("split-name"),
    saveSplit: $("btn-save-split"),
    merge: $("btn-merge"),
    saveMerge: $("btn-save-merge"),
    cancelMerge: $("btn-cancel-merge"),
  };

  // One thing happens at a time: idle, drawing/drawn (new grid), editing, splitting/split-drawn,
  // merging/merge-ready. The buttons follow the mode (see render()).
  var state = { mode: "idle", drawn: null, line: null, editing: null, splitting: null, mergeWith: null };

  map.pm.setGlobalOptions({
    allowSelfIntersection: false,
    snappable: true,
    snapDistance: 12,
    templineStyle: { color: "#b45309" },
    hintlineStyle: { color: "#b45309", dashArray: [5, 5] },
    pathOptions: { color: "#b45309", weight: 3, fillColor: "#f59e0b", fillOpacity: 0.25 },
  });

  function say(text) {
    if (text === t.saving) clearResult();
    ui.status.textContent = text || "";
  }

  function showError(body) {
    var message = (body && body.message) || t.saveFailed;
    var detail = (body && body.detail) || {};
    ui.error.textContent = message;
    // The server names the other grid by code; the map knows its name too.
    var other = detail.other && wm.feature(detail.other);
    if (other) {
      var line = document.createElement("span");
      line.className = "error-other";
      line.textContent = t.otherUnit.replace("%(name)s", other.properties.name)
        .replace("%(code)s", other.properties.code);
      ui.error.appendChild(line);
    }
    ui.error.hidden = false;
    wm.markProblem(detail);
  }

  function clearError() {
    ui.error.hidden = true;
    ui.error.textContent = "";
    wm.clearProblem();
  }

  function url(template, code) {
    return template.replace("__CODE__", encodeURIComponent(code));
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Send to the API; resolve with the JSON body on success, reject with the error body.
  function send(method, target, body) {
    say(t.saving);
    return wm.request(target, {
      method: method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(readJson);
  }

  // The version (and boundary) an edit starts from: read fresh from the API when the edit begins,
  // so that a save after someone else's change is refused as a conflict instead of overwriting it.
  function loadCard(code) {
    return wm.request(url(cfg.api.card, code), { headers: { Accept: "application/json" } })
      .then(readJson);
  }

  // The body of an API answer: resolved when 2xx, rejected with the error body otherwise. A body
  // that is not JSON (a proxy's error page) becomes a plain message with the status.
  function readJson(response) {
    return response.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (!response.ok) {
        throw data && data.message ? data : { message: t.saveFailed + " (" + response.status + ")" };
      }
      return data;
    });
  }

  function geometryOf(layer) {
    return layer.toGeoJSON().geometry;
  }

  function selectedFeature() {
    var code = wm.selected();
    return code ? wm.feature(code) : null;
  }

  function render() {
    var feature = selectedFeature();
    var mode = state.mode;
    var idle = mode === "idle";
    ui.selected.textContent = feature
      ? feature.properties.name + " (" + feature.properties.code + ")"
      : t.noSelection;
    if (ui.draw) {
      ui.draw.disabled = !idle;
      ui.create.disabled = mode !== "drawn";
      ui.discard.disabled = !(mode === "drawing" || mode === "drawn");
    }
    ui.edit.disabled = !(idle && feature);
    ui.saveShape.disabled = mode !== "editing";
    ui.cancelEdit.disabled = !(mode === "editing" || mode === "splitting" || mode === "split-drawn");
    ui.split.disabled = !(idle && feature);
    ui.saveSplit.disabled = mode !== "split-drawn";
    ui.merge.disabled = !(idle && feature);
    ui.saveMerge.disabled = mode !== "merge-ready";
    ui.cancelMerge.disabled = !(mode === "merging" || mode === "merge-ready");
    document.documentElement.setAttribute("data-editor-mode", mode);
  }

  function setMode(mode) {
    state.mode = mode;
    render();
  }

  // data-editor-result on <html> says how the last save ended ("saved" / "refused"), so that
  // scripts and tests need not read translated text.
  function result(value) {
    document.documentElement.setAttribute("data-editor-result", value);
  }

  function afterSave(message, focusCode) {
    clearError();
    return wm.reload().then(function () {
      setMode("idle");
      say(message);
      result("saved");
      if (focusCode) wm.select(focusCode, { openCard: true });
    });
  }

  function refuse(body) {
    say("");
    if (body && body.code === "version_conflict") {
      // Someone else changed the grid meanwhile: drop this edit and show their version.
      cancelEditing();
      state.mergeWith = null;
      setMode("idle");
      wm.reload().then(function () { showError(body); });
    } else {
      showError(body);
    }
    result("refused");
  }

  function clearResult() {
    document.documentElement.removeAttribute("data-editor-result");
  }

  // --- new grid -----------------------------------------------------------------------------

  function on(element, name, handler) {
    if (element) element.addEventListener(name, handler);
  }

  on(ui.draw, "click", function () {
    clearError();
    map.pm.enableDraw("Polygon");
    setMode("drawing");
    say(t.drawHint);
  });

  map.on("pm:create", function (event) {
    if (state.mode === "drawing") {
      state.drawn = event.layer;
      // The drawn shape stays editable: after a refusal the admin reshapes it and saves again.
      state.drawn.pm.enable({ allowSelfIntersection: false });
      setMode("drawn");
      say(t.drawnHint);
    } else if (state.mode === "splitting") {
      state.line = event.layer;
      setMode("split-drawn");
      say(t.splitDrawnHint);
    } else {
      map.removeLayer(event.layer);
    }
  });

  on(ui.create, "click", function () {
    if (!state.drawn) return;
    var option = ui.newParent.options[ui.newParent.selectedIndex];
    var parent = option.value;
    var body = {
      code: option.getAttribute("data-prefix") + (ui.newCode.value || "").trim(),
      name: (ui.newName.value || "").trim(),
      kind: "grid",
      parent_code: parent,
      boundary: geometryOf(state.drawn),
    };
    clearError();
    send("POST", cfg.api.create, body).then(function () {
      map.removeLayer(state.drawn);
      state.drawn = null;
      ui.newCode.value = "";
      ui.newName.value = "";
      return afterSave(t.created, body.code);
    }, refuse);
  });

  on(ui.discard, "click", function () {
    map.pm.disableDraw();
    if (state.drawn) map.removeLayer(state.drawn);
    state.drawn = null;
    clearError();
    setMode("idle");
    say("");
  });

  // --- reshape ------------------------------------------------------------------------------

  ui.edit.addEventListener("click", function () {
    var code = wm.selected();
    var layer = code && wm.layer(code);
    if (!layer) return;
    clearError();
    say(t.loading);
    loadCard(code).then(function (card) {
      state.editing = {
        code: code,
        version: card.version,
        original: L.GeoJSON.latLngsToCoords(layer.getLatLngs(), 1, true),
      };
      if (card.boundary && card.boundary.type === "Polygon") {
        layer.setLatLngs(L.GeoJSON.coordsToLatLngs(card.boundary.coordinates, 1));
      }
      layer.pm.enable({ allowSelfIntersection: false, snappable: true });
      setMode("editing");
      say(t.editHint);
    }, refuse);
  });

  ui.saveShape.addEventListener("click", function () {
    if (!state.editing) return;
    var code = state.editing.code;
    var layer = wm.layer(code);
    var body = { version: state.editing.version, boundary: geometryOf(layer) };
    clearError();
    send("PATCH", url(cfg.api.update, code), body).then(function () {
      layer.pm.disable();
      state.editing = null;
      return afterSave(t.saved, code);
    }, refuse);
  });

  function cancelEditing() {
    if (state.editing) {
      var layer = wm.layer(state.editing.code);
      if (layer) {
        layer.pm.disable();
        layer.setLatLngs(L.GeoJSON.coordsToLatLngs(state.editing.original, 1));
      }
      state.editing = null;
    }
    if (state.line) map.removeLayer(state.line);
    state.line = null;
    state.splitting = null;
    map.pm.disableDraw();
  }

  ui.cancelEdit.addEventListener("click", function () {
    cancelEditing();
    clearError();
    setMode("idle");
    say("");
  });

  // --- split --------------------------------------------------------------------------------

  ui.split.addEventListener("click", function () {
    var code = wm.selected();
    if (!code) return;
    clearError();
    say(t.loading);
    loadCard(code).then(function (card) {
      state.splitting = { code: code, version: card.version,
        prefix: card.community ? card.community.code : code.slice(0, 12) };
      map.pm.enableDraw("Line");
      setMode("splitting");
      say(t.splitHint);
    }, refuse);
  });

  ui.saveSplit.addEventListener("click", function () {
    var split = state.splitting;
    if (!split || !state.line) return;
    var code = split.code;
    var body = {
      version: split.version,
      line: geometryOf(state.line),
      new_code: split.prefix + (ui.splitCode.value || "").trim(),
      new_name: (ui.splitName.value || "").trim(),
    };
    clearError();
    send("POST", url(cfg.api.split, code), body).then(function () {
      map.removeLayer(state.line);
      state.line = null;
      state.splitting = null;
      ui.splitCode.value = "";
      ui.splitName.value = "";
      return afterSave(t.split, code);
    }, refuse);
  });

  // --- merge --------------------------------------------------------------------------------

  ui.merge.addEventListener("click", function () {
    var code = wm.selected();
    if (!code) return;
    clearError();
    loadCard(code).then(function (card) {
      state.mergeWith = { code: code, version: card.version, other: null, otherVersion: null };
      setMode("merging");
      say(t.mergeHint);
    }, refuse);
  });

  wm.on("select", function (code) {
    if ((state.mode === "merging" || state.mode === "merge-ready") && state.mergeWith) {
      var merge = state.mergeWith;
      if (code !== merge.code) {
        loadCard(code).then(function (card) {
          merge.other = code;
          merge.otherVersion = card.version;
          setMode("merge-ready");
          say(t.mergeReady.replace("%(other)s", card.name + " (" + code + ")"));
        }, refuse);
      }
      return;
    }
    render();
  });

  ui.saveMerge.addEventListener("click", function () {
    var merge = state.mergeWith;
    if (!merge || !merge.other) return;
    var body = { other_code: merge.other, version: merge.version, other_version: merge.otherVersion };
    clearError();
    send("POST", url(cfg.api.merge, merge.code), body).then(function () {
      state.mergeWith = null;
      return afterSave(t.merged, merge.code);
    }, refuse);
  });

  ui.cancelMerge.addEventListener("click", function () {
    state.mergeWith = null;
    clearError();
    setMode("idle");
    say("");
  });

  // After a reload the layers are new objects: nothing can still be mid-edit.
  wm.on("reload", function () {
    state.editing = null;
    render();
  });

  window.wanggeEditor = { state: state, render: render };
  render();
  document.documentElement.setAttribute("data-editor-ready", "true");
})();
