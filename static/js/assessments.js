/* CareCollab: the running total of a rating scale while it is filled in.
   Progressive enhancement only: the server always recomputes and validates the score. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-scale-form]");
  var data = document.getElementById("scale-data");
  if (!form || !data) return;
  var scale = JSON.parse(data.textContent);
  var bar = form.querySelector("[data-live-score]");
  var totalOut = bar.querySelector("[data-total]");
  var bandOut = bar.querySelector("[data-band]");
  var missingOut = bar.querySelector("[data-missing]");
  var safetyOut = bar.querySelector("[data-safety]");

  function bandFor(total) {
    for (var i = 0; i < scale.bands.length; i++) {
      var band = scale.bands[i];
      if (total >= band[0] && total <= band[1]) return band[2];
    }
    return "";
  }

  function update() {
    var total = 0;
    var missing = [];
    var safety = false;
    for (var n = 1; n <= scale.items; n++) {
      var checked = form.querySelector('input[name="item_' + n + '"]:checked');
      var item = form.querySelector('[data-item="' + n + '"]');
      if (checked) {
        var value = parseInt(checked.value, 10);
        total += value;
        if (scale.safety_items.indexOf(n) !== -1 && value > 0) safety = true;
        if (item) item.classList.remove("has-error");
      } else {
        missing.push(n);
      }
    }
    totalOut.textContent = String(total);
    if (missing.length) {
      bandOut.textContent = "";
      missingOut.textContent = "so far; unanswered: " + missing.join(", ");
    } else {
      bandOut.textContent = "· " + bandFor(total);
      missingOut.textContent = "";
    }
    safetyOut.hidden = !safety;
  }

  // The bar stays at the bottom of the window: the page keeps that much room below a
  // focused answer (scroll-padding-bottom in carecollab.css), so it never hides one.
  function reserveRoom() {
    document.documentElement.style.setProperty("--sticky-bottom", bar.offsetHeight + "px");
  }

  form.addEventListener("change", update);
  bar.hidden = false;
  update();
  reserveRoom();
  if (window.ResizeObserver) new ResizeObserver(reserveRoom).observe(bar);
})();
