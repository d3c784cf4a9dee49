/* The ladder and spot-risk pages: feed ages, re-centring, filtering and sorting.
 *
 * The pages are complete without this script (server-rendered first paint);
 * it adds what needs a browser. The live script (live.js) patches cells and may
 * call window.frgmPages.setFeedAge(feed, ageSeconds) and
 * window.frgmPages.spotMoved() after it moves the `spot` class.
 */
(function () {
  "use strict";

  // A feed's age turns stale past its expected interval: the banner's rule and the
  // ops pages' "late" (the server renders the intervals; these are the defaults).
  var EXPECTED_S = { "spot-risk": 5, "tt-positions": 5, "tt-orders": 5, "vtexp": 1800 };
  (function () {
    var element = document.getElementById("feed-intervals");
    if (!element) return;
    try {
      var given = JSON.parse(element.textContent);
      Object.keys(given).forEach(function (feed) {
        if (given[feed]) EXPECTED_S[feed] = given[feed]; else delete EXPECTED_S[feed];
      });
    } catch (err) { /* keep the defaults */ }
  })();
  var loadedAt = Date.now();

  function ageText(s) {
    if (s < 120) return Math.round(s) + " s ago";
    if (s < 7200) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }

  function paintAge(li, ageS) {
    var span = li.querySelector(".age");
    if (ageS === null || isNaN(ageS)) { li.classList.add("none"); return; }
    li.classList.remove("none");
    span.textContent = ageText(ageS);
    var expected = EXPECTED_S[li.dataset.feed];
    li.classList.toggle("stale", expected !== undefined && ageS > expected);
  }

  function tickAges() {
    document.querySelectorAll(".feed-ages li[data-feed]").forEach(function (li) {
      if (li.dataset.ageS === "") { paintAge(li, null); return; }
      var base = parseFloat(li.dataset.ageS);
      var since = parseFloat(li.dataset.ageAt || loadedAt);
      paintAge(li, base + (Date.now() - since) / 1000);
    });
  }

  function setFeedAge(feed, ageS) {
    var li = document.querySelector('.feed-ages li[data-feed="' + feed + '"]');
    if (!li) return;
    li.dataset.ageS = String(ageS);
    li.dataset.ageAt = String(Date.now());
    paintAge(li, ageS);
  }

  // ---------------------------------------------------------------- the ladder
  function ladderInit() {
    var box = document.getElementById("ladder-scroll");
    var table = document.getElementById("ladder-table");
    if (!box || !table) return {};
    var button = document.getElementById("recentre");
    var mode = document.getElementById("auto-recentre");
    var idle = document.getElementById("idle-seconds");
    var idleLabel = document.getElementById("idle-seconds-label");
    var user = table.dataset.user || "";
    var modeKey = "frgm.ladder." + user + ".autoRecentre";
    var idleKey = "frgm.ladder." + user + ".idleSeconds";
    var lastUserScroll = 0;
    var ours = 0; // until when scroll events are our own

    function spotRow() {
      var row = table.querySelector("tbody tr.spot");
      if (row) return row;
      var spot = parseFloat(table.dataset.spot);
      var best = null, bestGap = Infinity;
      table.querySelectorAll("tbody tr[data-price]").forEach(function (tr) {
        var gap = Math.abs(parseFloat(tr.dataset.price) - spot);
        if (gap < bestGap) { best = tr; bestGap = gap; }
      });
      var tick = parseFloat(table.dataset.tick) || 0.015625;
      return bestGap <= tick ? best : null; // spot beyond the rendered rows: none
    }

    function recentre() {
      var row = spotRow();
      if (!row) { window.location.reload(); return; } // the server centres on spot
      ours = Date.now() + 150;
      box.scrollTop = row.offsetTop - box.clientHeight / 2 + row.offsetHeight / 2;
    }

    function spotVisible() {
      var row = spotRow();
      if (!row) return false;
      var top = row.offsetTop - box.scrollTop;
      return top >= 0 && top + row.offsetHeight <= box.clientHeight;
    }

    function spotCentred() {
      var row = spotRow();
      if (!row) return false;
      var middle = row.offsetTop - box.scrollTop + row.offsetHeight / 2;
      return Math.abs(middle - box.clientHeight / 2) <= row.offsetHeight * 2;
    }

    function userScrolled() { if (Date.now() > ours) lastUserScroll = Date.now(); }
    box.addEventListener("scroll", userScrolled, { passive: true });
    box.addEventListener("wheel", userScrolled, { passive: true });
    box.addEventListener("touchmove", userScrolled, { passive: true });

    function idleSeconds() {
      var n = parseInt(idle.value, 10);
      return isNaN(n) || n < 2 ? 10 : n;
    }

    function autoCheck() {
      var quiet = Date.now() - lastUserScroll >= idleSeconds() * 1000;
      if (!quiet) return; // never fight a trader who is scrolling
      if (mode.value === "idle" && !spotCentred()) recentre();
      if (mode.value === "leave" && !spotVisible()) recentre();
    }

    try {
      mode.value = localStorage.getItem(modeKey) || "off";
      idle.value = localStorage.getItem(idleKey) || "10";
    } catch (e) { /* storage refused: the defaults apply */ }
    function showIdle() { idleLabel.hidden = mode.value === "off"; }
    showIdle();
    mode.addEventListener("change", function () {
      try { localStorage.setItem(modeKey, mode.value); } catch (e) { /* ignore */ }
      showIdle();
    });
    idle.addEventListener("change", function () {
      try { localStorage.setItem(idleKey, String(idleSeconds())); } catch (e) { /* ignore */ }
    });
    button.addEventListener("click", recentre);
    document.addEventListener("keydown", function (event) {
      var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
      if (event.key === "c" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        recentre();
      }
    });
    window.setInterval(autoCheck, 1000);
    recentre();
    return { recentre: recentre, spotMoved: autoCheck };
  }

  // ---------------------------------------------------------------- spot risk
  function spotRiskInit() {
    var table = document.getElementById("spot-risk-table");
    if (!table) return;
    var filter = document.getElementById("expiry-filter");
    if (filter) {
      var apply = function () {
        table.querySelectorAll("tbody[data-expiry]").forEach(function (body) {
          body.hidden = filter.value !== "" && body.dataset.expiry !== filter.value;
        });
        var url = new URL(window.location.href);
        if (filter.value) url.searchParams.set("expiry", filter.value);
        else url.searchParams.delete("expiry");
        window.history.replaceState(null, "", url);
      };
      filter.addEventListener("change", function () {
        // the server rendered one group only: fetch the others
        if (table.querySelectorAll("tbody[data-expiry]").length < filter.options.length - 1) {
          filter.form.submit();
          return;
        }
        apply();
      });
    }
    // A group with no prices at all (an expired weekly) starts folded; a click unfolds it.
    table.querySelectorAll("tbody[data-expiry]").forEach(function (body) {
      var toggle = body.querySelector("button.toggle");
      if (!toggle) return;
      var paint = function () {
        var folded = body.classList.contains("collapsed");
        toggle.textContent = folded ? "show" : "hide";
        toggle.setAttribute("aria-expanded", String(!folded));
      };
      toggle.hidden = false;
      if (body.dataset.priced === "0") body.classList.add("collapsed");
      paint();
      toggle.addEventListener("click", function () {
        body.classList.toggle("collapsed");
        paint();
      });
    });
    var headers = table.querySelectorAll("thead th.sortable");
    function sortBy(th) {
      var col = th.dataset.col;
      var asc = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      table.querySelectorAll("tbody[data-expiry]").forEach(function (body) {
        var lines = Array.prototype.slice.call(body.querySelectorAll("tr.line"));
        var total = body.querySelector("tr.total");
        lines.sort(function (a, b) {
          var x = a.querySelector('td[data-col="' + col + '"]').dataset.value;
          var y = b.querySelector('td[data-col="' + col + '"]').dataset.value;
          if (x === "" && y === "") return 0;
          if (x === "") return 1; // missing values last, whatever the direction
          if (y === "") return -1;
          var nx = Number(x), ny = Number(y);
          var cmp = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
          return asc ? cmp : -cmp;
        });
        lines.forEach(function (tr) { body.insertBefore(tr, total); });
      });
    }
    headers.forEach(function (th) {
      th.addEventListener("click", function () { sortBy(th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(th); }
      });
    });
  }

  // Choosing an instrument loads it (an inline onchange= would break the CSP).
  function submitOnChange() {
    document.querySelectorAll("[data-submit-on-change]").forEach(function (field) {
      field.addEventListener("change", function () { field.form.submit(); });
    });
  }

  function init() {
    submitOnChange();
    tickAges();
    window.setInterval(tickAges, 1000);
    var ladder = ladderInit();
    spotRiskInit();
    window.frgmPages = {
      setFeedAge: setFeedAge,
      recentre: ladder.recentre || function () {},
      spotMoved: ladder.spotMoved || function () {},
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
