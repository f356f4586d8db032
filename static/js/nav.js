/* The navigation folds behind a "Menu" button on tablets and phones (the CSS decides
 * when, by the screen's width). Without this script the button stays hidden and the
 * navigation stays open, so every link is always reachable. */
(function () {
  "use strict";
  function setUp() {
    var header = document.querySelector("header.site");
    var button = header && header.querySelector(".nav-toggle");
    if (!button) return;
    header.classList.add("nav-foldable");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("nav-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("nav-open")) {
        button.setAttribute("aria-expanded", "false");
        header.classList.remove("nav-open");
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
