/* Progressive enhancement only: buttons that copy a citation. The result is announced
   through the status region next to them, in the page's language (data-done). */
(function () {
  "use strict";
  var status = document.querySelector(".copy-status");
  function copy(field, button) {
    var text = field.value || field.textContent;
    var done = function () {
      if (!status) { return; }
      status.textContent = "";
      setTimeout(function () { status.textContent = button.getAttribute("data-done") || ""; }, 50);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      field.select();
      if (document.execCommand("copy")) { done(); }
    }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { copy(field, button); });
  });
}());
