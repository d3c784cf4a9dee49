/* Risk slide: the grid kept live over the websocket (live.js runs the socket, its
 * seq, resyncs and reconnects; this script applies the slide's frames), the chart
 * redrawn from the grid, and new parameters without a page load.
 *
 * Frames (ladder/frames.py, ladder/hub/slide_view.py): data = {"header": {...},
 * "rows": {move: {col: cell}}, "order": [move, ...]}; a delta holds the changed
 * header fields and cells only. Columns: move_32nds, price, delta, pnl:<i> (book
 * P&L at vol shift i) and x:<expiry>:<i> (options P&L by expiry, when asked).
 *
 * live.js calls window.frgmSlide.snapshot(data) and .delta(data); this script
 * calls window.frgmLive.subscribe(query) when the form is sent.
 */
(function () {
  "use strict";
  var root = document.getElementById("slide");
  if (!root) return;
  var chart = document.getElementById("chart-slide");
  var shifts = []; // the vol shift labels of the grid on the page
  var layout = {
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: "#c9d1d9" }, margin: { l: 80, r: 20, t: 10, b: 50 },
    xaxis: { title: { text: "price" }, gridcolor: "#30363d", zerolinecolor: "#8b949e" },
    yaxis: { title: { text: "book P&L ($)" }, gridcolor: "#30363d", zerolinecolor: "#8b949e" },
    legend: { orientation: "h" },
  };
  var config = { responsive: true, displaylogo: false };

  document.querySelectorAll("#slide-table thead th[data-shift]").forEach(function (th) {
    shifts.push(th.textContent);
  });

  // ------------------------------------------------------------------ the chart

  function plot(figure) {
    if (typeof Plotly === "undefined" || !chart) return;
    var traces = figure.series.map(function (s) {
      return {
        x: figure.prices, y: s.pnl, name: s.name, mode: "lines+markers", type: "scatter",
        text: figure.labels, hovertemplate: "%{text}: %{y:,.2f}<extra>%{fullData.name}</extra>",
      };
    });
    Plotly.react(chart, traces, layout, config);
  }

  // The figure of the grid as it stands on the page (the same shape as #slide-chart's).
  function draw() {
    var prices = [], labels = [];
    var series = shifts.map(function (name) { return { name: name, pnl: [] }; });
    document.querySelectorAll("#slide-table tbody tr[data-move]").forEach(function (tr) {
      var price = tr.querySelector('td[data-col="price"]');
      prices.push(Number(price.dataset.value));
      labels.push(price.textContent);
      tr.querySelectorAll('td[data-col="pnl"]').forEach(function (td) {
        var s = series[Number(td.dataset.shift)];
        if (s) s.pnl.push(Number(td.dataset.value));
      });
    });
    plot({ prices: prices, labels: labels, series: series });
  }

  // ------------------------------------------------------------------ cells

  // A frame's column -> the cell on the page: pnl:<i> is the grid's shift i,
  // x:<expiry>:<i> the breakdown's; the rest by data-col.
  function cellOf(move, col) {
    var parts = col.split(":");
    if (parts[0] === "pnl") {
      return document.querySelector('#slide-table tr[data-move="' + move + '"] td[data-col="pnl"][data-shift="' + parts[1] + '"]');
    }
    if (parts[0] === "x") {
      return document.querySelector('#slide-expiry-table tr[data-move="' + move + '"][data-expiry="' +
        cssEscape(parts[1]) + '"] td[data-shift="' + parts[2] + '"]');
    }
    return document.querySelector('#slide-table tr[data-move="' + move + '"] td[data-col="' + col + '"]');
  }

  function patchRows(rows, flash) {
    Object.keys(rows || {}).forEach(function (move) {
      var cells = rows[move];
      if (!cells) return;
      Object.keys(cells).forEach(function (col) {
        window.frgmLive.patchCell(cellOf(move, col), cells[col], flash);
      });
    });
  }

  function patchHeader(header) {
    Object.keys(header || {}).forEach(function (field) {
      var value = header[field];
      if (field === "not_priced") {
        var span = document.getElementById("not-priced");
        if (!span || !value) return;
        span.textContent = value.text;
        span.title = value.keys;
        span.className = value.keys ? "warn" : "muted";
        return;
      }
      if (field === "message") {
        var none = document.getElementById("no-data");
        if (none && value) none.textContent = value;
        return;
      }
      if (field === "spot_source") value = value === "actant" ? "Actant mid" : "TT pnlPrice";
      var el = root.querySelector('[data-field="' + field + '"]');
      if (el && typeof value === "string" && el.textContent !== value) el.textContent = value;
    });
  }

  // ------------------------------------------------------------------ structure

  function sameList(a, b) {
    return a.length === b.length && a.every(function (x, i) { return String(x) === String(b[i]); });
  }

  function cell(tag, text, attrs) {
    var el = document.createElement(tag);
    el.textContent = text;
    Object.keys(attrs || {}).forEach(function (name) { el.setAttribute(name, attrs[name]); });
    return el;
  }

  function signedMove(move) { return Number(move) > 0 ? "+" + move : String(move); }

  // New parameters: other moves, shifts or expiries than the tables have. The
  // tables are rebuilt empty, in the page's shape; the snapshot's cells fill them.
  function rebuild(data) {
    var grid = document.getElementById("slide-table");
    var byExpiry = document.getElementById("slide-expiry-table");
    if (!grid || !byExpiry) return;
    shifts = data.header.shifts.slice();
    var expiries = data.header.expiries || [];
    [grid, byExpiry].forEach(function (table) {
      var head = table.tHead.rows[0];
      head.querySelectorAll("th[data-shift]").forEach(function (th) { th.remove(); });
      shifts.forEach(function (label, i) { head.appendChild(cell("th", label, { "data-shift": i })); });
      table.tBodies[0].textContent = "";
    });
    data.order.forEach(function (move) {
      var tr = cell("tr", "", { "data-move": move });
      if (Number(move) === 0) tr.className = "centre";
      tr.appendChild(cell("td", signedMove(move), { "data-col": "move" }));
      ["move_32nds", "price", "delta"].forEach(function (col) { tr.appendChild(cell("td", "", { "data-col": col })); });
      shifts.forEach(function (_, i) { tr.appendChild(cell("td", "", { "data-col": "pnl", "data-shift": i })); });
      grid.tBodies[0].appendChild(tr);
      expiries.forEach(function (expiry) {
        var line = cell("tr", "", { "data-move": move, "data-expiry": expiry });
        if (Number(move) === 0) line.className = "centre";
        line.appendChild(cell("td", signedMove(move)));
        line.appendChild(cell("td", expiry));
        shifts.forEach(function (_, i) { line.appendChild(cell("td", "", { "data-col": "x", "data-shift": i })); });
        byExpiry.tBodies[0].appendChild(line);
      });
    });
    document.getElementById("slide-expiries").hidden = expiries.length === 0;
  }

  function shapeOf() {
    var moves = [], expiries = {};
    document.querySelectorAll("#slide-table tbody tr[data-move]").forEach(function (tr) { moves.push(tr.dataset.move); });
    document.querySelectorAll("#slide-expiry-table tbody tr[data-expiry]").forEach(function (tr) { expiries[tr.dataset.expiry] = 1; });
    return { moves: moves, expiries: Object.keys(expiries) };
  }

  // ------------------------------------------------------------------ frames

  function snapshot(data) {
    if (!document.getElementById("slide-table")) {
      // rendered before there was a grid (no data yet): let the server paint it
      if (data.order && data.order.length) window.location.reload();
      return;
    }
    var shape = shapeOf();
    if (!sameList(shape.moves, data.order) || !sameList(shifts, data.header.shifts) ||
        !sameList(shape.expiries.sort(), (data.header.expiries || []).slice().sort())) {
      rebuild(data);
    }
    patchHeader(data.header);
    patchRows(data.rows, false);
    draw();
  }

  function delta(data) {
    patchHeader(data.header);
    patchRows(data.rows, true);
    draw();
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, "\\$&");
  }

  // ------------------------------------------------------------------ new parameters

  // The form's parameters over the open socket (a snapshot of the new grid comes
  // back), the address bar kept in step so a reload or a reconnect asks the same.
  var form = document.getElementById("slide-form");
  var error = document.getElementById("slide-error");
  if (form) {
    form.addEventListener("submit", function (event) {
      if (!window.frgmLive || !window.frgmLive.subscribe || !document.getElementById("slide-table")) return;
      event.preventDefault();
      var query = new URLSearchParams(new FormData(form)).toString();
      if (error) { error.hidden = true; error.textContent = ""; }
      root.dataset.query = query;
      window.history.replaceState(null, "", "?" + query);
      window.frgmLive.subscribe(query);
    });
  }
  document.addEventListener("frgm:frame", function (event) {
    var frame = event.detail;
    if (frame.type === "error" && frame.code === "bad-request" && error) {
      error.textContent = frame.message;
      error.hidden = false;
    }
  });

  window.frgmSlide = { snapshot: snapshot, delta: delta };
  function start() {
    var first = document.getElementById("slide-chart"); // the server's figure: the first paint
    if (first) plot(JSON.parse(first.textContent));
    root.dataset.ready = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
