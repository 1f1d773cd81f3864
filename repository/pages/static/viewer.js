/* The page viewer: Mirador on the manifest named by the frame's data-manifest, opened
   on its data-canvas and searching its page text for data-query when the record page
   asks (a site search hit on a page). Once Mirador has started, the record page that
   frames this document is told to show it. */
(function () {
  "use strict";
  var viewer = document.getElementById("viewer");
  if (!window.Mirador) {
    var why = viewer.querySelector(".fallback .why");
    why.textContent = why.getAttribute("data-failed");
    return;
  }
  viewer.textContent = "";
  // Mirador brings its own main landmark: this page's wrapper steps aside for it.
  var page = document.querySelector(".page[role=main]");
  if (page) { page.removeAttribute("role"); }
  // and the page's heading moves into Mirador's main once Mirador has drawn it.
  var heading = document.querySelector(".page > h1");
  var tries = 0;
  (function adopt() {
    var main = viewer.querySelector("main, [role=main]");
    if (main && heading) { main.insertBefore(heading, main.firstChild); return; }
    if (++tries < 100) { setTimeout(adopt, 100); }
  }());
  var shown = {
    manifestId: viewer.getAttribute("data-manifest"),
    view: "single",
    thumbnailNavigationPosition: "far-bottom"
  };
  var canvas = viewer.getAttribute("data-canvas");
  if (canvas) { shown.canvasId = canvas; }
  var query = viewer.getAttribute("data-query");
  if (query) { shown.sideBarOpen = true; shown.sideBarPanel = "search"; }
  // Runs the query in the search panel once the page and the panel are drawn, as typing
  // it there would. Mirador 4.0's own defaultSearchQuery, and a search sent before the
  // window has drawn, break its list of hits (its issue #4229).
  function search(store, manifestId, words, tries) {
    var state = store.getState();
    var manifest = state.manifests[manifestId];
    var windowId = Object.keys(state.windows)[0];
    var panel = windowId && (state.windows[windowId].companionWindowIds || []).map(function (id) {
      return state.companionWindows[id];
    }).filter(function (c) { return c && c.content === "search"; })[0];
    var drawn = viewer.querySelector(".openseadragon-canvas canvas");
    if (!manifest || !manifest.json || !panel || !drawn) {
      if (tries < 150) {
        setTimeout(function () { search(store, manifestId, words, tries + 1); }, 200);
      }
      return;
    }
    var service = [].concat(manifest.json.service || []).filter(function (s) {
      return s.type === "SearchService1" || /\/search\/1\/search$/.test(s.profile || "");
    })[0];
    if (!service) { return; }
    var id = service.id || service["@id"];
    var actions = window.Mirador.actions || window.Mirador;  // Mirador 3 || 4
    store.dispatch(actions.fetchSearch(
      windowId, panel.id, id + "?q=" + encodeURIComponent(words), words));
  }
  window.opisViewer = window.Mirador.viewer({
    id: "viewer",
    windows: [shown],
    window: { allowClose: false, allowMaximize: false, sideBarOpen: false, defaultSideBarPanel: "annotations" },
    workspaceControlPanel: { enabled: false },
    // Transcriptions and translations are "supplementing" annotations, hidden by default.
    annotations: {
      filteredMotivations: ["oa:commenting", "oa:tagging", "sc:painting", "commenting", "tagging", "supplementing"]
    }
  });
  if (query) { search(window.opisViewer.store, shown.manifestId, query, 0); }
  // Mirador 4.0 puts aria-orientation on the wrapper of its side bar's tabs, an element
  // with no role, where ARIA does not allow it; the tab list inside says it already.
  new MutationObserver(function () {
    viewer.querySelectorAll(".MuiTabs-root[aria-orientation]:not([role])").forEach(
      function (wrapper) { wrapper.removeAttribute("aria-orientation"); });
  }).observe(viewer, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["aria-orientation"]
  });
  // The record page keeps this frame out of sight until now (opis.css, .viewer.ready).
  if (window.frameElement) { window.frameElement.classList.add("ready"); }
}());
