/* report.html filter: vanilla JS, no network, no eval. Without JS every row stays visible. */
(function () {
  "use strict";
  var controls = document.getElementById("controls");
  var box = document.getElementById("filter");
  var verdictSelect = document.getElementById("verdict-filter");
  var status = document.getElementById("filter-status");
  if (!controls || !box || !verdictSelect) {
    return;
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  // Lower-cased row text, computed once: filtering must stay instant on big audits.
  var texts = rows.map(function (row) {
    return row.textContent.replace(/\s+/g, " ").toLowerCase();
  });
  var sections = Array.prototype.slice.call(document.querySelectorAll("[data-section]"));

  function apply() {
    var terms = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var verdict = verdictSelect.value;
    var shown = 0;
    rows.forEach(function (row, i) {
      var visible = terms.every(function (term) {
        return texts[i].indexOf(term) !== -1;
      });
      if (visible && verdict && row.hasAttribute("data-verdict")) {
        visible = row.getAttribute("data-verdict") === verdict;
      }
      row.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    var active = terms.length > 0 || verdict !== "";
    sections.forEach(function (section) {
      var any = section.querySelector("tr[data-row]:not([hidden])") !== null;
      var note = section.querySelector(".nomatch");
      if (note) {
        note.hidden = any || !active;
      }
      section.classList.toggle("filtered-out", active && !any);
    });
    status.textContent = active ? shown + " of " + rows.length + " rows shown" : "";
  }

  controls.hidden = false;
  box.addEventListener("input", apply);
  verdictSelect.addEventListener("change", apply);
  apply();
})();
