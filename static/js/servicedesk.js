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
