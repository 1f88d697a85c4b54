/* The view in the address bar (?date=&mode=&place=), the event table's link to the map.
 * Moving the slider, switching mode or choosing a place pushes a history entry, so the
 * browser's back/forward buttons step through views; opening a link restores it. */
(function () {
  "use strict";

  function parse(search, payload) {
    var params = new URLSearchParams(search || "");
    var view = { day: 0, mode: "held", place: null, problems: [] };
    var date = params.get("date");
    if (date !== null) {
      var day = payload.dates.indexOf(date);
      if (day < 0) {
        view.problems.push("No data for date \u201c" + date + "\u201d (the map covers " +
          payload.dates[0] + " to " + payload.dates[payload.dates.length - 1] + "); showing " + payload.labels[0] + ".");
      } else {
        view.day = day;
      }
    }
    var mode = params.get("mode");
    if (mode !== null) {
      if (mode === "held" || mode === "events") view.mode = mode;
      else view.problems.push("Unknown view \u201c" + mode + "\u201d (use held or events); showing who holds what.");
    }
    var place = params.get("place");
    if (place !== null) {
      if (payload.place_ids.indexOf(place) >= 0) view.place = place;
      else view.problems.push("No place \u201c" + place + "\u201d in the data; no place selected.");
    }
    return view;
  }

  function format(payload, day, mode, place) {
    var params = new URLSearchParams();
    params.set("date", payload.dates[day] || payload.dates[0]);
    params.set("mode", mode === "events" ? "events" : "held");
    if (place) params.set("place", place);
    return "?" + params.toString();
  }

  function triggeredProps(ctx) {
    return (ctx.triggered || []).map(function (t) { return t.prop_id; });
  }

  // Name the slider's thumb for screen readers and say the date, not an index.
  // The slider renders asynchronously, so wait for its thumb.
  function labelThumb(text, tries) {
    var thumb = document.querySelector("#date-slider [role=slider]");
    if (!thumb) {
      if (tries < 200) setTimeout(function () { labelThumb(text, tries + 1); }, 50);
      return;
    }
    thumb.setAttribute("aria-label", "Day shown on the map");
    thumb.setAttribute("aria-valuetext", text);
  }

  function highlightRule(day) {
    return [{
      "if": { filter_query: "{start_day} <= " + day + " && {end_day} >= " + day },
      backgroundColor: "#fff3c4"
    }];
  }

  // The event table waits for the map: resolve once the map has drawn its first day
  // (the graph div gets data-day), or after MAX_TABLE_WAIT_MS whatever the map is doing.
  var MAX_TABLE_WAIT_MS = 5000;
  function afterMapDrawn() {
    var started = Date.now();
    return new Promise(function (resolve) {
      (function poll() {
        var gd = document.querySelector("#map .js-plotly-plot");
        if ((gd && gd.hasAttribute("data-day")) || Date.now() - started > MAX_TABLE_WAIT_MS) {
          setTimeout(resolve, 0);  // let the browser paint the map first
          return;
        }
        setTimeout(poll, 30);
      })();
    });
  }

  // The table's pager buttons are icons only: give them names screen readers can say.
  var PAGER_LABELS = {
    "first-page": "First page of events", "previous-page": "Previous page of events",
    "next-page": "Next page of events", "last-page": "Last page of events",
    "current-page": "Page number of the event table"
  };
  function labelPager() {
    Object.keys(PAGER_LABELS).forEach(function (cls) {
      document.querySelectorAll("#event-table-container ." + cls + ", .table-panel ." + cls).forEach(function (el) {
        if (el.getAttribute("aria-label") !== PAGER_LABELS[cls]) el.setAttribute("aria-label", PAGER_LABELS[cls]);
      });
    });
  }
  // Watch only the table: a page-wide observer would run on every map redraw.
  function watchPager(tries) {
    var table = document.getElementById("event-table-container") || document.querySelector(".table-panel");
    if (!table) {
      if (tries < 200) setTimeout(function () { watchPager(tries + 1); }, 100);
      return;
    }
    labelPager();
    if (typeof MutationObserver !== "undefined") {
      new MutationObserver(labelPager).observe(table, { childList: true, subtree: true });
    }
  }
  window.addEventListener("load", function () { watchPager(0); });

  // On a narrow screen, frame Syria alone so the map is large enough to touch.
  function fitNarrowScreen(tries) {
    if (window.innerWidth >= 700) return;
    var gd = document.querySelector("#map .js-plotly-plot");
    if (!gd || !gd._fullLayout || !gd._fullLayout.geo || !window.Plotly) {
      if (tries < 200) setTimeout(function () { fitNarrowScreen(tries + 1); }, 50);
      return;
    }
    window.Plotly.relayout(gd, { "geo.lonaxis.range": [35.5, 42.5], "geo.lataxis.range": [32.2, 37.4] });
  }
  window.addEventListener("load", function () { fitNarrowScreen(0); });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    dashboardShare: {
      syncUrl: function (search, day, mode, place, payload) {
        var nu = window.dash_clientside.no_update;
        if (!payload) return [nu, nu, nu, nu, nu];
        var props = triggeredProps(window.dash_clientside.callback_context);
        var fromUrl = props.length === 0 || props.indexOf("url.search") >= 0 || props.indexOf(".") >= 0;
        if (fromUrl) {
          if (!search) {
            labelThumb(payload.labels[Number(day) || 0] || "", 0);
            return [nu, nu, nu, nu, ""];
          }
          var view = parse(search, payload);
          labelThumb(payload.labels[view.day] || "", 0);
          return [nu, view.day, view.mode, view.place, view.problems.join(" ")];
        }
        labelThumb(payload.labels[Number(day) || 0] || "", 0);
        var next = format(payload, day, mode, place);
        return [next === search ? nu : next, nu, nu, nu, ""];
      },
      tableSelect: function (activeCell, rows) {
        if (!activeCell || activeCell.row_id === undefined || !rows) return window.dash_clientside.no_update;
        for (var i = 0; i < rows.length; i++) {
          if (rows[i].id === activeCell.row_id) return rows[i].place_id;
        }
        return window.dash_clientside.no_update;
      },
      highlightDay: function (day) {
        return highlightRule(Number(day) || 0);
      },
      // The DataTable (from the "event-table-spec" store) joins the page after the map.
      showTable: function (spec, day) {
        if (!spec) return window.dash_clientside.no_update;
        return afterMapDrawn().then(function () {
          // The day may have changed while waiting: highlight the one the slider shows now.
          var thumb = document.querySelector("#date-slider [role=slider]");
          var now = thumb && thumb.getAttribute("aria-valuenow");
          if (now !== null && now !== "" && isFinite(Number(now))) day = Number(now);
          var props = Object.assign({}, spec.props, { style_data_conditional: highlightRule(Number(day) || 0) });
          return Object.assign({}, spec, { props: props });
        });
      }
    }
  });
})();
