/* CareCollab: the formulary type-ahead on the medication forms.
   Progressive enhancement of <select data-formulary>: without this script the select
   works as it is (and the server checks everything). With it, a text box lists the
   medications whose generic or brand name contains what is typed (ARIA 1.2 combobox
   with a listbox), shows the schedule of the chosen one, and shows the "Other" fields
   only when "Other (not in the list)" is chosen. No inline script: CSP-safe. */
(function () {
  "use strict";
  var select = document.querySelector("select[data-formulary]");
  if (!select) return;
  var form = select.form;
  var MAX = 12;

  function fieldOf(name) {
    var input = form.querySelector('[name="' + name + '"]');
    return input ? input.closest(".field") : null;
  }
  var otherFields = [fieldOf("name"), fieldOf("controlled_schedule")].filter(Boolean);

  var options = Array.prototype.filter.call(select.options, function (option) {
    return option.value !== "";
  }).map(function (option) {
    var names = (option.getAttribute("data-names") || "").split(";");
    return {
      value: option.value,
      label: option.textContent,
      search: (option.textContent + ";" + names.join(";")).toLowerCase(),
      schedule: option.getAttribute("data-schedule") || "",
      drugClass: option.getAttribute("data-class") || "",
      other: option.hasAttribute("data-other"),
    };
  });

  var wrapper = document.createElement("div");
  wrapper.className = "combobox";
  var input = document.createElement("input");
  input.type = "text";
  input.id = select.id + "-search";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");
  input.setAttribute("spellcheck", "false");
  var list = document.createElement("ul");
  list.id = select.id + "-options";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.setAttribute("aria-controls", list.id);
  var info = document.createElement("p");
  info.className = "small muted";
  info.setAttribute("aria-live", "polite");
  info.setAttribute("data-formulary-info", "");
  var describedBy = select.getAttribute("aria-describedby");
  if (describedBy) input.setAttribute("aria-describedby", describedBy);
  if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", "true");

  select.parentNode.insertBefore(wrapper, select);
  wrapper.appendChild(input);
  wrapper.appendChild(list);
  wrapper.appendChild(info);
  select.hidden = true;
  select.setAttribute("tabindex", "-1");
  var label = form.querySelector('label[for="' + select.id + '"]');
  if (label) label.setAttribute("for", input.id);

  var shown = [];
  var active = -1;

  function matches(query) {
    query = query.trim().toLowerCase();
    if (!query) return options.slice(0, MAX);
    var found = options.filter(function (o) {
      return o.other || o.search.indexOf(query) !== -1;
    });
    // Names that start with the query first, "Other" always last.
    found.sort(function (a, b) {
      if (a.other !== b.other) return a.other ? 1 : -1;
      var aStarts = a.label.toLowerCase().indexOf(query) === 0 ? 0 : 1;
      var bStarts = b.label.toLowerCase().indexOf(query) === 0 ? 0 : 1;
      return aStarts - bStarts;
    });
    var other = found.filter(function (o) { return o.other; });
    return found.filter(function (o) { return !o.other; }).slice(0, MAX).concat(other);
  }

  function render() {
    list.textContent = "";
    shown.forEach(function (option, index) {
      var item = document.createElement("li");
      item.id = list.id + "-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === active ? "true" : "false");
      item.textContent = option.label;
      if (option.drugClass) {
        var small = document.createElement("span");
        small.className = "muted small";
        small.textContent = " · " + option.drugClass;
        item.appendChild(small);
      }
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the text box
        choose(option);
      });
      list.appendChild(item);
    });
    if (active >= 0) input.setAttribute("aria-activedescendant", list.id + "-" + active);
    else input.removeAttribute("aria-activedescendant");
  }

  function open() {
    shown = matches(input.value);
    active = shown.length && input.value.trim() ? 0 : -1;
    list.hidden = shown.length === 0;
    input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    render();
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(option) {
    select.value = option.value;
    input.value = option.label;
    close();
    update();
  }

  function update() {
    var current = options.filter(function (o) { return o.value === select.value; })[0];
    var isOther = !!(current && current.other);
    otherFields.forEach(function (field) { field.hidden = !isOther; });
    if (!current) info.textContent = "";
    else if (isOther) info.textContent = "Name it below and say its schedule.";
    else info.textContent = current.drugClass + " · " + (current.schedule || "Not controlled") +
      " (from the formulary)";
  }

  input.addEventListener("input", function () {
    if (select.value) { select.value = ""; update(); }
    open();
  });
  input.addEventListener("focus", function () { if (!select.value) open(); });
  input.addEventListener("blur", close);
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) open();
      var step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + shown.length) % shown.length;
      render();
      var item = document.getElementById(list.id + "-" + active);
      if (item) item.scrollIntoView({ block: "nearest" });
      event.preventDefault();
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      choose(shown[active]);
      event.preventDefault();
    } else if (event.key === "Escape") {
      close();
    }
  });

  var initial = options.filter(function (o) { return o.value === select.value; })[0];
  if (initial) input.value = initial.label;
  update();
})();
