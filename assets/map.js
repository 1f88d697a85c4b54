/* Day-by-day map updates in the browser, without asking Plotly to redraw.
 *
 * The base figure (dashboard/figures.py base_figure) already draws every mark any day
 * can show.  Showing a day changes only the styles of the marks whose look differs from
 * the day shown before (a lookup in the "day-data" store, built by client_payload), so a
 * scrub costs a few attribute writes, not a redraw of the map: Plotly redraws the whole
 * geo subplot, basemap included, on any restyle.  viewFor() mirrors figures.day_view().
 *
 * Plotly's own state is kept in step so hover, click and later redraws stay right: a
 * place's hover text and colour are written to its calcdata point, and a hidden place's
 * position is set to Plotly's "no position" value so it cannot be hovered or clicked.
 * Whenever Plotly redraws the traces (zoom end, resize), the current day is applied again
 * (a MutationObserver sees the new nodes before the browser paints).
 */
(function () {
  "use strict";
  var NONE = -1;
  var NO_POSITION = [undefined, undefined];  // Plotly's BADNUM: skipped by hover and click

  function graphDiv() {
    return document.querySelector("#map .js-plotly-plot");
  }

  /* Each style of the payload, ready to write: one cssText and one path per style, so
   * showing a place costs one style write (plus the symbol or text when they change). */
  var preparedFor = typeof WeakMap !== "undefined" ? new WeakMap() : null;
  function prepared(payload) {
    var cached = preparedFor && preparedFor.get(payload);
    if (cached) return cached;
    var paths = payload.symbol_paths;
    function prep(s) {
      var open = s.symbol.slice(-5) === "-open";
      var base = open ? s.symbol.slice(0, -5) : s.symbol;
      // fill-/stroke-opacity, not opacity: an element with `opacity` gets its own compositing
      // effect node, and thousands of them make every frame slow to layerize.
      return {
        style: s,
        css: "fill:" + (open ? "none" : s.color) + ";fill-opacity:" + s.opacity + ";stroke:" +
          (open ? s.color : s.line_color) + ";stroke-opacity:" + s.opacity + ";stroke-width:" + s.line_width + "px",
        d: paths[base] || null,
        text: s.text || " "
      };
    }
    var out = { held: payload.styles.held.map(prep), events: payload.styles.events.map(prep) };
    if (preparedFor) preparedFor.set(payload, out);
    return out;
  }

  /* What the map shows on `day` in `mode`: the JavaScript twin of figures.day_view(). */
  function viewFor(payload, day, mode) {
    var state = payload.days[day];
    var styles = prepared(payload)[mode];
    var codes = state[mode];
    var held = mode === "held";
    var places = new Array(codes.length);
    for (var i = 0; i < codes.length; i++) places[i] = codes[i] === NONE ? null : styles[codes[i]];
    return {
      places: places,
      halos: payload.halo_places.map(function (p) { return places[p] !== null; }),
      claims: state.claims,
      changed: state.changed.map(function (c) { return held && !!c; }),
      trail: payload.traces.trail.map(function (t) { return held && t[1] <= day; }),
      route_colors: state.route_colors
    };
  }

  /* The drawn nodes of every trace, by trace index: {group, points: [{path, text, cd}] by point index}. */
  function collect(gd) {
    var traces = {};
    gd.querySelectorAll(".geo g.trace").forEach(function (g) {
      var cd = g.__data__;
      if (!cd || !cd[0] || !cd[0].trace || cd[0].trace.type !== "scattergeo") return;
      var points = [];
      function add(key) {
        return function (el) {
          var d = el.__data__;
          if (!d || typeof d.i !== "number") return;
          var ref = points[d.i] || (points[d.i] = { cd: d, path: null, text: null, parked: null });
          ref[key] = el;
        };
      }
      g.querySelectorAll("path.point").forEach(add("path"));
      g.querySelectorAll("text").forEach(add("text"));
      traces[cd[0].trace.index] = { group: g, points: points, trace: cd[0].trace };
    });
    return traces;
  }

  function translate(gd, lonlat) {
    var geo = gd._fullLayout.geo && gd._fullLayout.geo._subplot;
    var px = geo && geo.projection(lonlat);
    return px ? "translate(" + px[0] + "," + px[1] + ")" : "";
  }

  function setShown(gd, ref, on, park) {
    if (ref.hidden === !on) return;
    ref.hidden = !on;
    var display = on ? "" : "none";
    if (ref.path) ref.path.style.display = display;
    if (ref.text) ref.text.style.display = display;
    if (!park) return;
    if (!on && !ref.parked) {
      ref.parked = ref.cd.lonlat;
      ref.cd.lonlat = NO_POSITION;
    } else if (on && ref.parked) {
      ref.cd.lonlat = ref.parked;
      ref.parked = null;
      // Plotly may have re-rendered (zoom) while the place had no position: place it again.
      var t = translate(gd, ref.cd.lonlat);
      if (ref.path) ref.path.setAttribute("transform", t);
      if (ref.text) ref.text.setAttribute("transform", t);
    }
  }

  function stylePlace(ref, p, trace) {
    var s = p.style;
    if (ref.path) {
      ref.path.style.cssText = p.css;  // replaces Plotly's inline style, display included
      if (p.d && ref.d !== p.d) { ref.path.setAttribute("d", p.d); ref.d = p.d; }
    }
    if (ref.text && ref.txt !== p.text) {
      // Change the text node's value, not the element's children: no childList mutation.
      if (ref.text.firstChild && ref.text.firstChild.nodeType === 3 && !ref.text.firstChild.nextSibling) {
        ref.text.firstChild.nodeValue = p.text;
      } else {
        ref.text.textContent = p.text;
      }
      ref.txt = p.text;
    }
    // What Plotly's hover label reads: %{hovertext} comes from the full trace's array,
    // the label's colour from the calcdata point.
    if (trace.hovertext) trace.hovertext[ref.cd.i] = s.label;
    var cd = ref.cd;
    cd.htx = s.label;
    cd.tx = p.text;
    cd.mc = s.color;
    cd.mo = s.opacity;
    cd.mx = s.symbol;
    cd.mlc = s.line_color;
    cd.mlw = s.line_width;
  }

  function toggle(gd, trace, values, prev, apply) {
    var written = 0;
    if (!trace) return written;
    for (var k = 0; k < values.length; k++) {
      if (prev && prev[k] === values[k]) continue;
      var ref = trace.points[k];
      if (ref) { apply(ref, values[k]); written++; }
    }
    return written;
  }

  /* Write `view` into the drawn marks; with `prev`, only where it differs from it.
   * Returns how many marks were written (the benchmark reports it). */
  function applyView(gd, drawn, payload, view, prev) {
    var t = payload.traces;
    var written = 0;
    var places = drawn[t.places];
    if (places) {
      for (var i = 0; i < view.places.length; i++) {
        var s = view.places[i];
        if (prev && prev.places[i] === s) continue;
        var ref = places.points[i];
        if (!ref) continue;  // not on the map (no coordinates)
        setShown(gd, ref, s !== null, true);
        if (s !== null) stylePlace(ref, s, places.trace);
        written++;
      }
    }
    // Plotly draws these with `opacity` (0 where hidden on day 0): swap it for
    // fill-/stroke-opacity once shown (see prepared()).
    written += toggle(gd, drawn[t.halos], view.halos, prev && prev.halos, function (ref, on) {
      setShown(gd, ref, on, false);
      if (on && ref.path) { ref.path.style.opacity = ""; ref.path.style.fillOpacity = 0.18; }
    });
    written += toggle(gd, drawn[t.claims], view.claims, prev && prev.claims, function (ref, color) {
      setShown(gd, ref, color !== null, false);
      if (color !== null && ref.path) { ref.path.style.opacity = ""; ref.path.style.strokeOpacity = 1; ref.path.style.stroke = color; }
    });
    written += toggle(gd, drawn[t.changed], view.changed, prev && prev.changed, function (ref, on) {
      setShown(gd, ref, on, false);
      if (on && ref.path) { ref.path.style.opacity = ""; ref.path.style.strokeOpacity = 1; }
    });
    for (var k = 0; k < t.trail.length; k++) {
      if (prev && prev.trail[k] === view.trail[k]) continue;
      var trail = drawn[t.trail[k][0]];
      if (!trail) continue;
      trail.group.style.display = view.trail[k] ? "" : "none";
      written++;
      if (view.trail[k]) trail.group.style.opacity = 1;
    }
    for (var r = 0; r < view.route_colors.length; r++) {
      if (prev && prev.route_colors[r] === view.route_colors[r]) continue;
      var route = drawn[t.routes_start + r];
      var line = route && route.group.querySelector("path.js-line");
      if (line) { line.style.stroke = view.route_colors[r]; written++; }
    }
    return written;
  }

  /* What is drawn now, and what was asked for last (the slider may run ahead of the map). */
  var shown = { gd: null, drawn: null, payload: null, day: null, mode: null, view: null };
  var wanted = { payload: null, day: 0, mode: "held" };
  var pending = null;

  function ready(gd) {
    return gd && gd._fullLayout && gd._fullLayout.geo && window.Plotly && gd.querySelector(".geo g.trace path.point");
  }

  function showDay(payload, day, mode, tries) {
    wanted = { payload: payload, day: day, mode: mode };
    var gd = graphDiv();
    clearTimeout(pending);
    if (!ready(gd)) {
      if (tries < 400) pending = setTimeout(function () { showDay(payload, day, mode, tries + 1); }, 25);
      return;
    }
    watchRedraws(gd);
    var fresh = !shown.drawn || shown.gd !== gd || shown.payload !== payload;
    if (!fresh && shown.day === day && shown.mode === mode) return;
    var startedAt = performance.now();
    if (fresh) shown = { gd: gd, drawn: collect(gd), payload: payload, day: null, mode: null, view: null };
    var view = viewFor(payload, day, mode);
    var written = applyView(gd, shown.drawn, payload, view, shown.view);
    shown.view = view;
    shown.day = day;
    shown.mode = mode;
    gd.setAttribute("data-day", String(day));
    gd.setAttribute("data-mode", mode);
    // For the benchmark and tests: when the marks were written, and the next frame after.
    var state = { day: day, mode: mode, requestedAt: startedAt, doneAt: performance.now(), paintedAt: null, written: written };
    window.__dashboardMap = state;
    requestAnimationFrame(function () { setTimeout(function () { state.paintedAt = performance.now(); }, 0); });
  }

  /* Plotly replaces the trace nodes when it redraws (zoom end, resize): apply the day again. */
  function watchRedraws(gd) {
    if (gd.__dashboardWatched || typeof MutationObserver === "undefined") return;
    gd.__dashboardWatched = true;
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        var added = records[i].addedNodes;
        for (var j = 0; j < added.length; j++) {
          var node = added[j];
          if (node.nodeType === 1 && node.classList && (node.classList.contains("trace") || node.classList.contains("point"))) {
            shown.drawn = null;
            if (wanted.payload) showDay(wanted.payload, wanted.day, wanted.mode, 0);
            return;
          }
        }
      }
    }).observe(gd, { childList: true, subtree: true });
  }

  /* The "Beyond the map" list of the shown day, as plain DOM built from text (never markup). */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function renderLane(payload, day) {
    var root = document.getElementById("lane-days");
    if (!root || !payload.lane) return;
    if (root.__lane === payload && root.getAttribute("data-day") === String(day)) return;
    var lane = payload.lane[day] || { items: [], more: 0 };
    var box = el("div", "day-only");
    box.setAttribute("data-day", String(day));
    if (!lane.items.length) {
      box.appendChild(el("p", "muted", "Nothing for this day."));
    } else {
      var list = el("ul");
      lane.items.forEach(function (item) {
        var button = el("button", "link-button");
        button.type = "button";
        button.setAttribute("data-place", item[0]);
        button.title = "Show the source for " + item[1];
        button.appendChild(el("span", "lane-place", item[1] + ": "));
        button.appendChild(el("span", null, item[2]));
        button.appendChild(el("span", "lane-date", item[3]));
        var li = el("li");
        li.appendChild(button);
        list.appendChild(li);
      });
      if (lane.more) list.appendChild(el("li", "muted", "\u2026 and " + lane.more + " more: see the event table."));
      box.appendChild(list);
    }
    root.textContent = "";
    root.appendChild(box);
    root.__lane = payload;
    root.setAttribute("data-day", String(day));
    if (!root.__wired) {
      root.__wired = true;
      root.addEventListener("click", function (event) {
        var button = event.target.closest && event.target.closest("button[data-place]");
        var dc = window.dash_clientside;
        if (button && dc && dc.set_props) dc.set_props("selected-place", { data: button.getAttribute("data-place") });
      });
    }
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

  /* Fast path: show the day as soon as the slider shows a new value.  Dash dispatches the
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
          showDay(latest.payload, clampDay(latest.payload, value), latest.mode, 0);
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
        showDay(payload, day, mode, 0);
        renderLane(payload, day);
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
