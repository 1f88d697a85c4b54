/* Start loading dcc's lazy Graph and Slider before Dash renders the layout.
 *
 * dcc.Graph and dcc.Slider are React.lazy components: the first time React renders one,
 * it suspends and shows a fallback, and React 18 then holds back the commit that reveals
 * the real component until 500 ms after that fallback appeared (its Suspense throttle).
 * On this page that hold was the largest wait before the map could draw.  Rendering
 * each once into a detached root, unmounted at once, starts the lazy load early (the
 * chunks are preloaded by the index page); when Dash renders the layout they are ready,
 * nothing suspends and the map is drawn in the same commit as the layout.  Nothing is
 * drawn or plotted by this. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var dcc = window.dash_core_components, React = window.React, ReactDOM = window.ReactDOM;
    if (!dcc || !dcc.Graph || !dcc.Slider || !React || !ReactDOM || !ReactDOM.createRoot || !ReactDOM.flushSync) return;
    try {
      var root = ReactDOM.createRoot(document.createElement("div"));
      ReactDOM.flushSync(function () {
        root.render(React.createElement(React.Suspense, { fallback: null },
          React.createElement(dcc.Graph, { id: "__lazy-graph" }),
          React.createElement(dcc.Slider, { id: "__lazy-slider", min: 0, max: 1, value: 0 })));
      });
      root.unmount();
    } catch (e) {
      /* An optimisation only: if it fails, Dash loads the components as usual. */
    }
  });
})();
