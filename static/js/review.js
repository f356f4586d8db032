/* The review queue (templates/medications/review.html): one row per observation, moved
 * through by keyboard, mouse or touch, with a preview of the selected row.
 *
 * Without this script the page still works: each row links to its preview page and its
 * "Reviewed" form posts and comes back to the next row. With it, the forms post in the
 * background (django-htmx's HX-Request header: the server answers the row's
 * replacement), the row turns into "marked reviewed" with an Undo button for a few
 * seconds, and the selection moves to the next row, so the place in the list is kept.
 * Everything said on screen is also said to screen readers (#review-live).
 */
(function () {
  "use strict";
  var list = document.getElementById("review-list");
  if (!list) return;
  var preview = document.getElementById("review-preview");
  var live = document.getElementById("review-live");
  var keys = document.getElementById("review-keys");
  var narrow = window.matchMedia("(max-width: 900px)");
  var selected = null;
  var lastDone = null; // the row most recently marked reviewed (for "u")
  var previewTimer = null;
  var previewRequest = 0;

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll("li.qrow:not(.done)"));
  }

  function say(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 30);
  }

  function describe(row) {
    var all = rows();
    var group = row.closest(".review-group");
    var name = group.querySelector("h2").textContent.trim();
    var date = row.querySelector(".qdate").textContent.trim();
    var flags = row.querySelector(".qflags").textContent.replace(/\s+/g, " ").trim();
    var line = row.querySelector(".qline").textContent.trim();
    var after = row.querySelector(".qafter");
    return (all.indexOf(row) + 1) + " of " + all.length + ": " + name + ", " + date +
      (flags ? ", " + flags : "") + ". " + line + (after ? ". " + after.textContent.replace(/\s+/g, " ").trim() : "");
  }

  function post(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.text();
    });
  }

  function fragment(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    return holder.firstElementChild;
  }

  // --- selection and preview ----------------------------------------------------------

  function select(row, options) {
    if (!row) return;
    if (selected && selected !== row) {
      selected.classList.remove("selected");
      selected.removeAttribute("aria-current");
    }
    selected = row;
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    if (!options || options.focus !== false) row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
    if (!options || options.announce !== false) say(describe(row));
    loadPreview(row);
  }

  function loadPreview(row) {
    window.clearTimeout(previewTimer);
    // Beside the list on a wide screen, beneath the selected row on a narrow one.
    if (narrow.matches) row.appendChild(preview);
    else if (preview.parentNode !== list.parentNode) list.parentNode.appendChild(preview);
    var ticket = ++previewRequest;
    previewTimer = window.setTimeout(function () {
      fetch(row.querySelector(".qmain").href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { if (ticket === previewRequest && html) preview.innerHTML = html; });
    }, 120);
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = selected ? all.indexOf(selected) : -1;
    if (index === -1) index = step > 0 ? -1 : all.length;
    var next = all[Math.max(0, Math.min(all.length - 1, index + step))];
    select(next);
  }

  // --- reviewing and undo -------------------------------------------------------------

  function markReviewed(row) {
    if (!row || row.classList.contains("done")) return;
    var form = row.querySelector("form.review-one");
    var all = rows();
    var next = all[all.indexOf(row) + 1] || all[all.indexOf(row) - 1] || null;
    post(form).then(function (html) {
      var answer = fragment(html);
      if (!answer || answer.dataset.done !== "1") {
        say(answer ? answer.textContent.trim() : "Could not mark it reviewed.");
        return;
      }
      finish(row, answer);
      if (next) select(next, { announce: false });
      say(answer.textContent.trim() + " Press u to undo." + (next ? " Next: " + describe(next) : " Nothing else waits."));
    }).catch(function () { say("Could not mark it reviewed; the page will reload."); window.location.reload(); });
  }

  function finish(row, answer) {
    if (row.contains(preview)) list.parentNode.appendChild(preview);
    row._saved = row.innerHTML;
    row.classList.add("done");
    row.classList.remove("selected");
    row.removeAttribute("aria-current");
    row.innerHTML = "";
    row.appendChild(answer);
    lastDone = row;
    var seconds = parseInt(answer.dataset.undoSeconds || "8", 10);
    row._timer = window.setTimeout(function () { drop(row); }, seconds * 1000);
    var undo = answer.querySelector("form.undo");
    if (undo) undo.addEventListener("submit", function (event) { event.preventDefault(); undoRow(row); });
  }

  function drop(row) {
    var group = row.closest(".review-group");
    row.remove();
    if (lastDone === row) lastDone = null;
    if (group && !group.querySelector("li.qrow")) group.remove();
    if (!rows().length && !list.querySelector("li.qrow")) {
      preview.innerHTML = "<p>Nothing else waits for your review.</p>";
    }
  }

  function undoRow(row) {
    if (!row || !row.classList.contains("done") || !row.isConnected) return;
    var form = row.querySelector("form.undo");
    if (!form) return;
    window.clearTimeout(row._timer);
    post(form).then(function (html) {
      var answer = fragment(html);
      if (!answer || answer.dataset.ok !== "1") {
        say(answer ? answer.textContent.trim() : "Could not undo.");
        drop(row);
        return;
      }
      row.innerHTML = row._saved;
      row.classList.remove("done");
      if (lastDone === row) lastDone = null;
      select(row, { announce: false });
      say(answer.textContent.trim() + " " + describe(row));
    }).catch(function () { window.location.reload(); });
  }

  function markPatient(row) {
    if (!row) return;
    var group = row.closest(".review-group");
    var form = group.querySelector("form.review-all");
    var mine = Array.prototype.slice.call(group.querySelectorAll("li.qrow:not(.done)"));
    var all = rows();
    var after = all.slice(all.indexOf(mine[mine.length - 1]) + 1)[0] || all.slice(0, all.indexOf(mine[0])).pop() || null;
    post(form).then(function () {
      mine.forEach(function (each) {
        var answer = fragment('<div class="review-done" data-done="1" data-undo-seconds="8"><span class="success">Marked reviewed.</span></div>');
        finish(each, answer);
      });
      if (after) select(after, { announce: false });
      say(mine.length + " observations of this patient marked reviewed." + (after ? " Next: " + describe(after) : " Nothing else waits."));
    }).catch(function () { window.location.reload(); });
  }

  // --- keys, clicks, taps ---------------------------------------------------------------

  function toggleKeys(show) {
    keys.hidden = show === undefined ? !keys.hidden : !show;
    if (!keys.hidden) keys.querySelector("button").focus();
    else if (selected) selected.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    // Enter on a link or button does what it says (the browser's own default).
    var onControl = target !== selected && target.closest("a, button, summary");
    var handled = true;
    switch (event.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "Enter": case "o":
        if (onControl) { handled = false; break; }
        if (selected) window.location.href = selected.closest(".review-group").dataset.open;
        break;
      case "r": markReviewed(selected); break;
      case "a": markPatient(selected); break;
      case "w": if (selected) window.location.href = selected.closest(".review-group").dataset.write; break;
      case "u": undoRow(lastDone); break;
      case "?": toggleKeys(); break;
      case "Escape": if (!keys.hidden) toggleKeys(false); else handled = false; break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  list.addEventListener("click", function (event) {
    var row = event.target.closest("li.qrow");
    if (!row || row.classList.contains("done")) return;
    if (event.target.closest(".qmain")) {
      event.preventDefault(); // the link is the no-script path to the preview page
      select(row);
      return;
    }
    if (!event.target.closest("a, button, form")) select(row);
  });

  list.addEventListener("submit", function (event) {
    var form = event.target;
    var row = form.closest("li.qrow");
    if (form.classList.contains("review-one") && row) { event.preventDefault(); markReviewed(row); }
    else if (form.classList.contains("review-all")) {
      event.preventDefault();
      var first = form.closest(".review-group").querySelector("li.qrow:not(.done)");
      if (first) markPatient(first);
    }
  });

  keys.querySelector("[data-close-keys]").addEventListener("click", function () { toggleKeys(false); });

  // Start where the page was left (#obs-N after a reviewed form without script), or at the top.
  var start = window.location.hash && document.getElementById(window.location.hash.slice(1));
  var first = rows()[0];
  if (start && start.classList.contains("qrow")) select(start, { focus: true });
  else if (first) select(first, { focus: false, announce: false });
})();
