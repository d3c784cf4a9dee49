// Risk slide: draw the server's grid as a chart at once, then poll /api/slide/
// (the page's own query) every 2 s and update the cells and the chart in place.
(function () {
  "use strict";
  const root = document.getElementById("slide");
  const data = document.getElementById("slide-chart");
  if (!root || !data) return;
  const POLL_MS = 2000;
  const chart = document.getElementById("chart-slide");
  const status = document.getElementById("slide-status");
  const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const layout = {
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: "#c9d1d9" }, margin: { l: 80, r: 20, t: 10, b: 50 },
    xaxis: { title: { text: "price" }, gridcolor: "#30363d", zerolinecolor: "#8b949e" },
    yaxis: { title: { text: "book P&L ($)" }, gridcolor: "#30363d", zerolinecolor: "#8b949e" },
    legend: { orientation: "h" },
  };
  const config = { responsive: true, displaylogo: false };

  function draw(figure) {
    if (typeof Plotly === "undefined" || !chart) return;
    const traces = figure.series.map((s) => ({
      x: figure.prices, y: s.pnl, name: s.name, mode: "lines+markers", type: "scatter",
      text: figure.labels, hovertemplate: "%{text}: %{y:,.2f}<extra>%{fullData.name}</extra>",
    }));
    Plotly.react(chart, traces, layout, config);
  }

  function signed(value) {
    const n = Number(value);
    const text = money.format(Math.abs(n));
    return n > 0 ? "+" + text : n < 0 ? "-" + text : text;
  }

  function nearestZero(shifts) {
    let best = 0;
    shifts.forEach((s, i) => { if (Math.abs(s) < Math.abs(shifts[best])) best = i; });
    return best;
  }

  function apply(body) {
    const figure = { prices: [], labels: [], series: body.vol_shifts.map((s) => ({
      name: s === 0 ? "vol 0" : "vol " + (s > 0 ? "+" : "") + Math.round(s * 1000) / 10 + " %",
      pnl: [] })) };
    for (const row of body.rows) {
      figure.prices.push(Number(row.price));
      figure.labels.push(row.display);
      row.book_pnl.forEach((v, i) => figure.series[i].pnl.push(Number(v)));
      const tr = root.ownerDocument.querySelector('#slide-table tr[data-move="' + row.move + '"]');
      if (!tr) continue;
      const price = tr.querySelector('td[data-col="price"]');
      if (price && price.dataset.value !== row.price) {  // the spot moved: a new centre
        price.dataset.value = row.price;
        price.textContent = row.display;
      }
      const delta = tr.querySelector('td[data-col="delta"]');
      const at = nearestZero(body.vol_shifts);
      if (delta && row.book_delta[at] !== undefined) {
        delta.dataset.value = row.book_delta[at];
        delta.textContent = money.format(Number(row.book_delta[at]));
      }
      tr.querySelectorAll('td[data-col="pnl"]').forEach((td) => {
        const value = row.book_pnl[Number(td.dataset.shift)];
        if (value === undefined || td.dataset.value === value) return;
        td.dataset.value = value;
        td.textContent = signed(value);
        td.classList.toggle("num-pos", Number(value) > 0);
        td.classList.toggle("num-neg", Number(value) < 0);
      });
    }
    draw(figure);
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.apiUrl + window.location.search,
        { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        apply(await response.json());
        if (status) status.textContent = "updated " + new Date().toLocaleTimeString();
      } else if (status) {
        status.textContent = "not updated: " + response.status;
      }
    } catch (err) {
      if (status) status.textContent = "not updated: " + err;
    }
    window.setTimeout(poll, POLL_MS);
  }

  draw(JSON.parse(data.textContent));
  root.dataset.ready = "1";
  window.setTimeout(poll, POLL_MS);
})();
