/* CareCollab: after a failed save, the focus goes to the form's error summary, so a
   screen reader announces what to fix and a keyboard user starts from there; each entry
   links to its field and puts the focus in it. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  // After a failed save on a page reached by the skip link, the address still ends in
  // #main, and the browser moves the focus to <main> once the page is parsed: take it
  // back, unless the person has already moved it elsewhere.
  window.addEventListener("load", function () {
    var active = document.activeElement;
    if (active === document.body || (location.hash && active.id === location.hash.slice(1))) {
      summary.focus();
    }
  });
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    (field.closest(".field") || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
})();
