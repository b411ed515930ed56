// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // A link to #reopen (from the "resolved" email) opens the reopen form.
  function openTargetDetails() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }

  // Disable a form's submit button once it is sent, so a double click sends one request.
  // The server also refuses duplicates (a one-time token), this only saves the round trip.
  function guardDoubleSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post")) {
      return;
    }
    form.querySelectorAll("[data-sd-once]").forEach(function (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  // An article's link or text from the ticket page's articles panel, put into the reply
  // editor where the cursor is (on a line of its own), and said so for screen readers.
  function insertIntoReply(event) {
    var button = event.target instanceof Element && event.target.closest("[data-sd-insert]");
    var editor = document.querySelector("#reply-form textarea[name=body]");
    if (!button || !editor) {
      return;
    }
    var text = button.getAttribute("data-sd-insert");
    var start = editor.selectionStart, end = editor.selectionEnd;
    var before = editor.value.slice(0, start), after = editor.value.slice(end);
    if (before && !/\n$/.test(before)) { text = "\n" + text; }
    if (after && !/^\n/.test(after)) { text = text + "\n"; }
    editor.value = before + text + after;
    editor.focus();
    editor.selectionStart = editor.selectionEnd = before.length + text.length;
    editor.dispatchEvent(new Event("input", { bubbles: true }));
    var status = document.getElementById("ticket-articles-status");
    if (status) { status.textContent = "Inserted into the reply."; }
  }

  document.addEventListener("click", insertIntoReply);
  document.addEventListener("DOMContentLoaded", openTargetDetails);
  window.addEventListener("hashchange", openTargetDetails);
  document.addEventListener("submit", guardDoubleSubmit);
})();

// With JavaScript, the phone menu folds away (see .no-js in servicedesk.css), and the
// account menu closes when a click lands elsewhere, like a menu does.
document.documentElement.classList.remove("no-js");
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.sd-account[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) { menu.open = false; }
  });
});
