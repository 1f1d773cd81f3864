/* The page viewer: Mirador on the manifest named by the frame's data-manifest. Once
   Mirador has started, the record page that frames this document is told to show it. */
(function () {
  "use strict";
  var viewer = document.getElementById("viewer");
  if (!window.Mirador) {
    viewer.querySelector(".fallback").firstChild.textContent =
      "The page viewer could not be loaded. Open the ";
    return;
  }
  viewer.textContent = "";
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
