/* The page viewer: Mirador on the manifest named by the frame's data-manifest. Once
   Mirador has started, the record page that frames this document is told to show it. */
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
  window.opisViewer = window.Mirador.viewer({
    id: "viewer",
    windows: [{
      manifestId: viewer.getAttribute("data-manifest"),
      view: "single",
      thumbnailNavigationPosition: "far-bottom"
    }],
    window: { allowClose: false, allowMaximize: false, sideBarOpen: false, defaultSideBarPanel: "annotations" },
    workspaceControlPanel: { enabled: false },
    // Transcriptions and translations are "supplementing" annotations, hidden by default.
    annotations: {
      filteredMotivations: ["oa:commenting", "oa:tagging", "sc:painting", "commenting", "tagging", "supplementing"]
    }
  });
  // The record page keeps this frame out of sight until now (opis.css, .viewer.ready).
  if (window.frameElement) { window.frameElement.classList.add("ready"); }
}());
