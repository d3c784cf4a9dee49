// The ladder's whole-book switch: futures only (the default) or the options book
// too (options P&L, book P&L, book delta). The choice is remembered per user in
// this browser's localStorage; the columns are always rendered and kept live,
// only shown or hidden (the table's `futures-only` class).
(function () {
  "use strict";
  var table = document.getElementById("ladder-table");
  var button = document.getElementById("whole-book");
  if (!table || !button) return;
  var key = "frgm.ladder.wholeBook." + (table.dataset.user || "");

  function stored() {
    try { return window.localStorage.getItem(key) === "1"; } catch (err) { return false; }
  }

  function show(whole) {
    table.classList.toggle("futures-only", !whole);
    document.body.classList.toggle("whole-book", whole);
    button.setAttribute("aria-pressed", whole ? "true" : "false");
    button.textContent = whole ? "Whole book: on" : "Whole book: off";
  }

  button.addEventListener("click", function () {
    var whole = button.getAttribute("aria-pressed") !== "true";
    try { window.localStorage.setItem(key, whole ? "1" : "0"); } catch (err) { /* private mode */ }
    show(whole);
  });
  show(stored());
})();
