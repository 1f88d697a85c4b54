/* Day-by-day map updates in the browser: a scrub is a lookup + one Plotly.restyle.
 * The data comes from the "day-data" store, built by dashboard/figures.py
 * client_payload(); applyDay() mirrors figures.day_payload() in Python. */
(function () {
  "use strict";
  var NONE = -1;

  function graphDiv() {
    return document.querySelector("#map .js-plotly-plot");
  }

  function pick(styles, codes, key, hidden) {
    var out = new Array(codes.length);
    for (var i = 0; i < codes.length; i++) {
      var c = codes[i];
      out[i] = c === NONE ? hidden : styles[c][key];
    }
    return out;
  }

  function updatesFor(payload, day, mode) {
    var state = payload.days[day];
    var styles = payload.styles[mode];
    var codes = state[mode];
    var lat = new Array(codes.length), lon = new Array(codes.length);
    for (var i = 0; i < codes.length; i++) {
      var shown = codes[i] !== NONE;
      lat[i] = shown ? payload.lat[i] : null;
      lon[i] = shown ? payload.lon[i] : null;
    }
    var held = mode === "held";
    var t = payload.traces;
    function line(key) {
      return held ? { lat: state[key][0], lon: state[key][1] } : { lat: [], lon: [] };
    }
    var updates = [
      [t.places, {
        lat: lat, lon: lon,
        "marker.color": pick(styles, codes, "color", "#BDBDBD"),
        "marker.line.color": pick(styles, codes, "line_color", "#757575"),
        "marker.line.width": pick(styles, codes, "line_width", 0),
        "marker.opacity": pick(styles, codes, "opacity", 0),
        "marker.symbol": pick(styles, codes, "symbol", "circle"),
        text: pick(styles, codes, "text", ""),
        hovertext: pick(styles, codes, "label", "")
      }],
      [t.trail_known, line("trail_known")],
      [t.trail_uncertain, line("trail_uncertain")],
      [t.approach, line("approach")],
      [t.claims, { lat: state.claims[0], lon: state.claims[1], "marker.line.color": state.claim_colors }],
      [t.changed, line("changed")]
    ];
    for (var k = 0; k < state.route_colors.length; k++) {
      updates.push([t.routes_start + k, { "line.color": state.route_colors[k] }]);
    }
    return updates;
  }

  /* One restyle call for all traces: Plotly skips `undefined` entries. */
  function merge(updates) {
    var indices = updates.map(function (u) { return u[0]; });
    var combined = {};
    updates.forEach(function (u, pos) {
      Object.keys(u[1]).forEach(function (attr) {
        if (!combined[attr]) combined[attr] = new Array(updates.length).fill(undefined);
        combined[attr][pos] = u[1][attr];
      });
    });
    return { update: combined, indices: indices };
  }

  function showDayOnly(day) {
    document.querySelectorAll(".day-only[data-day]").forEach(function (el) {
      el.hidden = el.getAttribute("data-day") !== String(day);
    });
    document.querySelectorAll("#source-panel .event[data-start]").forEach(function (el) {
      var on = +el.getAttribute("data-start") <= day && day <= +el.getAttribute("data-end");
      el.classList.toggle("on-day", on);
    });
  }

  var pending = null;
  // What the map shows (or is being restyled to): a repeated request is a no-op.
  var shown = { payload: null, day: null, mode: null };
  function restyleWhenReady(payload, day, mode, tries) {
    var gd = graphDiv();
    if (!gd || !gd._fullLayout || !gd._fullLayout.geo || !window.Plotly) {
      if (tries < 200) {
        clearTimeout(pending);
        pending = setTimeout(function () { restyleWhenReady(payload, day, mode, tries + 1); }, 25);
      }
      return;
    }
    clearTimeout(pending);
    if (shown.payload === payload && shown.day === day && shown.mode === mode && shown.gd === gd && shown.data === gd.data) return;
    shown = { payload: payload, day: day, mode: mode, gd: gd, data: gd.data };
    var m = merge(updatesFor(payload, day, mode));
    var state = { day: day, mode: mode, requestedAt: performance.now() };
    window.__dashboardMap = state;
    window.Plotly.restyle(gd, m.update, m.indices).then(function () {
      state.doneAt = performance.now();
      if (window.__dashboardMap !== state) return;  // a later day was asked for meanwhile
      gd.setAttribute("data-day", String(day));
      gd.setAttribute("data-mode", mode);
    });
  }

  /* Fast path: restyle as soon as the slider shows a new value.  Dash dispatches the
   * applyDay callback only after its renderer has processed every callback on the
   * slider (tens of ms); the thumb's aria-valuenow changes first.  applyDay still runs
   * (labels, lists, mode changes) and finds the map already on that day. */
  var watched = null;
  var latest = { payload: null, mode: "held" };
  function watchSlider() {
    var root = document.getElementById("date-slider");
    if (!root || root === watched || typeof MutationObserver === "undefined") return;
    watched = root;
    new MutationObserver(function (records) {
      if (!latest.payload) return;
      for (var i = records.length - 1; i >= 0; i--) {
        var el = records[i].target;
        if (el.getAttribute && el.getAttribute("role") === "slider") {
          var value = el.getAttribute("aria-valuenow");
          if (value === null || value === "") return;
          restyleWhenReady(latest.payload, clampDay(latest.payload, value), latest.mode, 0);
          return;
        }
      }
    }).observe(root, { attributes: true, attributeFilter: ["aria-valuenow"], subtree: true });
  }

  function clampDay(payload, day) {
    var n = payload.days.length;
    day = Math.round(Number(day));
    if (!isFinite(day)) return 0;
    return Math.max(0, Math.min(n - 1, day));
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    dashboardMap: {
      applyDay: function (day, mode, payload) {
        if (!payload) return [window.dash_clientside.no_update, window.dash_clientside.no_update];
        day = clampDay(payload, day);
        mode = mode === "events" ? "events" : "held";
        latest = { payload: payload, mode: mode };
        watchSlider();
        restyleWhenReady(payload, day, mode, 0);
        showDayOnly(day);
        return [payload.labels[day], payload.summaries[day]];
      },
      togglePlay: function (nClicks, disabled, day, max) {
        var nu = window.dash_clientside.no_update;
        if (disabled) {
          var start = day >= max ? 0 : nu;  // at the end, play starts again from the first day
          return [false, "\u275A\u275A Pause", "true", start];
        }
        return [true, "\u25B6 Play", "false", nu];
      },
      step: function (n, day, max) {
        var nu = window.dash_clientside.no_update;
        if (day >= max) return [nu, true, "\u25B6 Play", "false"];
        var next = day + 1;
        if (next >= max) return [next, true, "\u25B6 Play", "false"];  // stop at the end
        return [next, nu, nu, nu];
      },
      selectPlace: function (clickData) {
        var ctx = window.dash_clientside.callback_context;
        var trig = ctx.triggered && ctx.triggered[0];
        if (!trig) return window.dash_clientside.no_update;
        if (trig.prop_id === "map.clickData") {
          var pt = clickData && clickData.points && clickData.points[0];
          if (!pt || !pt.customdata) return window.dash_clientside.no_update;
          return pt.customdata[0];
        }
        if (!trig.value) return window.dash_clientside.no_update;
        try {
          var id = ctx.triggered_id || JSON.parse(trig.prop_id.slice(0, trig.prop_id.lastIndexOf(".")));
          return id.place;
        } catch (e) {
          return window.dash_clientside.no_update;
        }
      },
      syncPanel: function (children, day) {
        showDayOnly(Number(day) || 0);
        return String(day);
      }
    }
  });
})();
