// The knowledge editor: put a screenshot's Markdown where the cursor is in the steps, and keep
// the "Filed under" line above the services list current.
// Without this file the snippet is shown to copy; the buttons stay hidden.
(function () {
  "use strict";

  function showInsertButtons(root) {
    root.querySelectorAll("[data-sd-insert]").forEach(function (button) { button.hidden = false; });
  }

  // The newlines that make `text` a paragraph of its own: a blank line on each side, unless the
  // text around has it already (or there is nothing before it).
  function gapBefore(before) {
    if (!before || before.endsWith("\n\n")) { return ""; }
    return before.endsWith("\n") ? "\n" : "\n\n";
  }

  function gapAfter(after) {
    if (after.startsWith("\n\n")) { return ""; }
    return after.startsWith("\n") ? "\n" : "\n\n";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-sd-insert]");
    if (!button) { return; }
    var area = document.getElementById(button.getAttribute("data-sd-into"));
    if (!area) { return; }
    var text = button.getAttribute("data-sd-insert");
    var start = area.selectionStart, end = area.selectionEnd;
    var before = area.value.slice(0, start), after = area.value.slice(end);
    var inserted = gapBefore(before) + text + gapAfter(after);
    area.value = before + inserted + after;
    area.focus();
    // The cursor goes to the start of the next paragraph, ready for the next step.
    var caret = (before + inserted).length;
    area.setSelectionRange(caret, caret);
    // The live preview listens for input on the form.
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });

  function showFiling() {
    var line = document.getElementById("filed-under");
    if (!line) { return; }
    var names = Array.from(document.querySelectorAll("input[name=services]:checked")).map(function (box) {
      var label = document.querySelector("label[for='" + box.id + "']");
      return label ? label.textContent.trim() : "";
    }).filter(Boolean);
    line.textContent = "";
    if (!names.length) {
      line.textContent = "Not filed under any service yet.";
      return;
    }
    var strong = document.createElement("strong");
    strong.textContent = names.join(", ");
    line.append("Filed under: ", strong);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name=services]")) { showFiling(); }
  });

  document.addEventListener("DOMContentLoaded", function () { showInsertButtons(document); });
  document.addEventListener("htmx:afterSettle", function () { showInsertButtons(document); });
})();
