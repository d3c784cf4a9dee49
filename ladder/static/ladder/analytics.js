// Analytics charts: draw the server's figures at once, then keep them current.
// Live path: the spot-risk websocket (/ws/spot-risk/) triggers an immediate
// refresh and gives the browser-side latency; whenever it is not open the page
// polls the JSON endpoints every poll_ms. TT positions are not on that socket,
// so the series are also polled (incrementally, with a cursor) while live.
(function () {
  "use strict";
  const root = document.getElementById("analytics");
  const initial = JSON.parse(document.getElementById("analytics-initial").textContent);
  if (!root || typeof Plotly === "undefined") return;
  const urls = root.dataset;
  const themes = initial.themes;
  const config = { responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "toggleSpikelines"] };
  const state = { theme: "dark", smile: initial.smile, series: initial.series,
    cursor: initial.cursor || {}, latency: initial.latency, browser: { x: [], y: [] },
    socket: null, socketOpen: false, poller: null, backoff: 2000, pending: null };
  const el = (id) => document.getElementById(id);
  const chicago = new Intl.DateTimeFormat("sv-SE", { timeZone: "America/Chicago",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hour12: false });
  const chicagoLabel = (ms) => chicago.format(new Date(ms)).replace("T", " ");

  function themed(layout, name) {
    const t = themes[name];
    const out = JSON.parse(JSON.stringify(layout));
    out.font = Object.assign({}, out.font, { color: t.font });
    for (const key of Object.keys(out)) {
      if (/^[xy]axis\d*$/.test(key)) {
        Object.assign(out[key], { gridcolor: t.grid, zerolinecolor: t.zero, linecolor: t.grid });
      }
    }
    for (const note of out.annotations || []) note.font = Object.assign({}, note.font, { color: t.font });
    out.hoverlabel = { bgcolor: t.legend_bg, font: { color: t.font } };
    return out;
  }
  function draw(id, figure) {
    const node = el(id);
    if (!node || node.hidden) return;
    Plotly.react(node, figure.data, themed(figure.layout, state.theme), config);
  }

  // --- smile ---------------------------------------------------------------
  const select = el("smile-expiry");
  function drawSmile() {
    const expiries = state.smile.expiries || [];
    el("smile-empty").hidden = expiries.length > 0;
    el("chart-smile").hidden = expiries.length === 0;
    if (!expiries.length) return;
    const chosen = select.value;
    const options = expiries.map((e) => e.expiry).join("|");
    if (select.dataset.options !== options) {
      select.replaceChildren(...expiries.map((e) => new Option(e.label, e.expiry)));
      select.dataset.options = options;
      select.disabled = false;
    }
    // Keep the trader's choice; otherwise the nearest expiry that has implied vols.
    const fallback = state.smile.default || expiries[0].expiry;
    select.value = select.dataset.chosen && expiries.some((e) => e.expiry === chosen) ? chosen : fallback;
    el("smile-asof").textContent = state.smile.as_of ? "file " + state.smile.as_of : "";
    draw("chart-smile", state.smile.figures[select.value]);
  }
  select.addEventListener("change", () => { select.dataset.chosen = "1"; drawSmile(); });

  // --- series ----------------------------------------------------------------
  const QUARTERS = "0257";
  function price32(p) {  // 110.171875 -> 110'055 (ticks lie on the 1/128 grid)
    const q = Math.round(Math.abs(p) * 128), whole = Math.floor(q / 128), rest = q % 128;
    return (p < 0 ? "-" : "") + whole + "'" + String(Math.floor(rest / 4)).padStart(2, "0") + QUARTERS[rest % 4];
  }
  const MIN_PRICE_SPAN = 8 / 128, MIN_TIME_SPAN_MS = 10 * 60 * 1000;
  function priceTicks(values) {  // as ladder/analytics.py _price_ticks
    values = values.filter((v) => v !== null);
    if (!values.length) return {};
    let low = Math.min(...values), high = Math.max(...values);
    if (high - low < MIN_PRICE_SPAN) { low -= MIN_PRICE_SPAN / 2; high += MIN_PRICE_SPAN / 2; }
    const steps = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((n) => n / 128);
    const step = steps.find((s) => (high - low) / s <= 6) || steps[steps.length - 1];
    const ticks = [];
    for (let t = Math.floor(low / step) * step; t <= high + step; t += step) ticks.push(t);
    return { tickvals: ticks, ticktext: ticks.map(price32),
      range: [Math.min(low, ticks[0]), Math.max(high, ticks[ticks.length - 1])] };
  }
  const parseLabel = (label) => Date.parse(label.replace(" ", "T") + "Z");  // naive: any zone
  const formatLabel = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
  function fitTime(xaxis, labels) {  // as _time_range: at least ten minutes wide
    const times = labels.map(parseLabel).filter(Number.isFinite);
    if (!times.length) return;
    const first = Math.min(...times), last = Math.max(...times);
    if (last - first >= MIN_TIME_SPAN_MS) { delete xaxis.range; xaxis.autorange = true; return; }
    const pad = (MIN_TIME_SPAN_MS - (last - first)) / 2;
    xaxis.range = [formatLabel(first - pad), formatLabel(last + pad)];
    xaxis.autorange = false;
  }
  function drawSeries() {
    const has = state.series.data.some((t) => t.y.length);
    el("series-empty").hidden = has;
    el("chart-series").hidden = !has;
    if (has) draw("chart-series", state.series);
  }
  function extendSeries(points) {
    let added = false;
    for (const trace of state.series.data) {
      const p = points[trace.meta.field];
      if (p && p.x.length) { trace.x.push(...p.x); trace.y.push(...p.y); added = true; }
      if (trace.meta.field === "future_mid") {
        Object.assign(state.series.layout[trace.yaxis.replace("y", "yaxis")], priceTicks(trace.y));
      }
    }
    fitTime(state.series.layout.xaxis, state.series.data.flatMap((t) => t.x));
    // A "0 all day" note goes once its panel's Greek moves off zero.
    state.series.layout.annotations = (state.series.layout.annotations || []).filter((note) => {
      const trace = state.series.data.find((t) => t.yaxis === note.yref.split(" ")[0]);
      return !trace || trace.y.every((v) => !v);
    });
    if (added) drawSeries();
  }
  // One series read at a time: two reads from the same cursor would add points twice.
  let seriesBusy = false, seriesAgain = false;
  async function refreshSeries() {
    if (seriesBusy) { seriesAgain = true; return; }
    seriesBusy = true;
    try { await readSeries(); } finally { seriesBusy = false; }
    if (seriesAgain) { seriesAgain = false; refreshSeries(); }
  }
  async function readSeries() {
    const empty = !state.series.data.length;
    const params = new URLSearchParams({ date: initial.date });
    if (!empty) for (const [feed, sk] of Object.entries(state.cursor)) params.set("after-" + feed, sk);
    const body = await getJson(urls.seriesUrl + "?" + params);
    if (!body) return;
    if (empty) { if (body.figure && body.figure.data.length) state.series = body.figure; drawSeries(); }
    else extendSeries(body.points);
    state.cursor = Object.assign(state.cursor, body.cursor);
    if (body.more) seriesAgain = true;
  }

  // --- latency ------------------------------------------------------------
  function drawLatency() {
    const figure = JSON.parse(JSON.stringify(state.latency));
    const browser = figure.data.find((t) => t.meta && t.meta.feed === "browser");
    if (browser) { browser.x = state.browser.x.slice(); browser.y = state.browser.y.slice(); }
    if (state.browser.x.length) figure.layout.annotations = [];
    draw("chart-latency", figure);
  }
  async function refreshLatency() {
    const body = await getJson(urls.latencyUrl);
    if (body) { state.latency = body.figure; drawLatency(); }
  }
  function browserLatency(frame) {
    if (!frame.s3_event_time) return;
    const now = Date.now(), ms = now - Date.parse(frame.s3_event_time);
    if (!Number.isFinite(ms)) return;
    state.browser.x.push(chicagoLabel(now)); state.browser.y.push(ms);
    if (state.browser.x.length > 500) { state.browser.x.shift(); state.browser.y.shift(); }
  }

  // --- refresh, websocket, polling ----------------------------------------
  async function getJson(url) {
    try {
      const reply = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!reply.ok) { setLive("refresh failed: HTTP " + reply.status, true); return null; }
      return await reply.json();
    } catch (err) { setLive("refresh failed: " + err.message, true); return null; }
  }
  async function refreshSmile() {
    const body = await getJson(urls.smileUrl);
    if (body) { state.smile = body; drawSmile(); }
  }
  function refreshAll() {
    refreshSmile(); refreshLatency();
    if (initial.live) refreshSeries();
  }
  function scheduleRefresh() {  // coalesce a burst of frames into one round of fetches
    if (state.pending) return;
    state.pending = setTimeout(() => { state.pending = null; refreshAll(); }, 250);
  }
  function setLive(text, warn) {
    const node = el("analytics-live");
    node.textContent = text; node.classList.toggle("warn", Boolean(warn));
  }
  function describe() {
    const how = state.socketOpen ? "live: websocket" : "live: polling every " + initial.poll_ms / 1000 + " s";
    setLive(initial.live ? how : how + " · series of " + initial.date + " is history");
  }
  function poll() {
    clearInterval(state.poller);
    state.poller = setInterval(() => {
      if (state.socketOpen) { refreshLatency(); if (initial.live) refreshSeries(); }
      else refreshAll();
    }, initial.poll_ms);
  }
  function connect() {
    if (!("WebSocket" in window)) return describe();
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let socket;
    try { socket = new WebSocket(scheme + location.host + urls.wsPath); } catch (err) { return describe(); }
    state.socket = socket;
    socket.onopen = () => { state.socketOpen = true; state.backoff = 2000; describe(); scheduleRefresh(); };
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      if (frame.type === "ping") return socket.send(JSON.stringify({ type: "pong" }));
      if (frame.view && frame.view !== "spot-risk") return;
      if (frame.type === "resync") return socket.send(JSON.stringify({ type: "snapshot" }));
      if (frame.type === "delta") browserLatency(frame);
      if (frame.type === "delta" || frame.type === "snapshot") scheduleRefresh();
    };
    socket.onclose = () => {
      state.socketOpen = false; describe();
      const wait = state.backoff * (0.5 + Math.random());  // jitter
      state.backoff = Math.min(state.backoff * 2, 60000);
      setTimeout(connect, wait);
    };
  }

  // --- paper (print) theme ---------------------------------------------------
  function resizeAll() {
    for (const id of ["chart-smile", "chart-latency", "chart-series"]) {
      const node = el(id);
      if (node && !node.hidden && node.data) Plotly.Plots.resize(node);
    }
  }
  function setTheme(name) {
    if (state.theme !== name) {
      state.theme = name;
      drawSmile(); drawSeries(); drawLatency();
    }
    resizeAll();
  }
  const paperButton = el("analytics-paper");
  paperButton.addEventListener("click", () => {
    const on = !document.body.classList.contains("paper");
    document.body.classList.toggle("paper", on);
    paperButton.setAttribute("aria-pressed", String(on));
    setTheme(on ? "paper" : "dark");
  });
  const paperWanted = () => document.body.classList.contains("paper");
  window.addEventListener("beforeprint", () => setTheme("paper"));
  window.addEventListener("afterprint", () => setTheme(paperWanted() ? "paper" : "dark"));
  // The print layout is narrower than the screen: fit the charts to it (and back).
  window.matchMedia("print").addEventListener("change", (query) => {
    setTheme(query.matches || paperWanted() ? "paper" : "dark");
  });

  drawSmile(); drawSeries(); drawLatency();
  if (initial.more) refreshSeries();  // a long day: the first paint held its first part
  describe();
  poll();
  connect();
})();
