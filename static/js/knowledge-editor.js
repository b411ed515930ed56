// The knowledge editor: put a screenshot's Markdown where the cursor is in the steps.
// Without this file the snippet is shown to copy; the buttons stay hidden.
(function () {
  "use strict";

  function showInsertButtons(root) {
    root.querySelectorAll("[data-sd-insert]").forEach(function (button) { button.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-sd-insert]");
    if (!button) { return; }
    var area = document.getElementById(button.getAttribute("data-sd-into"));
    if (!area) { return; }
    var text = button.getAttribute("data-sd-insert");
    var start = area.selectionStart, end = area.selectionEnd;
    var before = area.value.slice(0, start), after = area.value.slice(end);
    var gap = before && !before.endsWith("\n") ? "\n\n" : "";
    area.value = before + gap + text + "\n" + after;
    area.focus();
    var caret = (before + gap + text).length;
    area.setSelectionRange(caret, caret);
    // The live preview listens for input on the form.
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });

  document.addEventListener("DOMContentLoaded", function () { showInsertButtons(document); });
  document.addEventListener("htmx:afterSettle", function () { showInsertButtons(document); });
})();
