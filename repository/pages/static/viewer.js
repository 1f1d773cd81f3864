/* The page viewer: Mirador on the manifest named by the frame's data-manifest. */
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
}());
