/* Live updates for the ladder, spot-risk and risk slide pages (no framework, no CDN).
 *
 * The page is complete without this script (server-rendered first paint). This
 * script opens the view's websocket and keeps the table current:
 *
 *   snapshot  -> replace the data (cells, rows, header); remember `seq`
 *   delta     -> if seq === last + 1 patch the changed cells (and flash them),
 *                else ask for a snapshot ({"type": "snapshot"})
 *   resync    -> ask for a snapshot
 *   health    -> per-feed last-file times for the "stale" banner
 *   ping      -> answer {"type": "pong"}
 *
 * Frames are defined in ladder/frames.py. A cell is [text, exact value, tone css],
 * or packed (cellOf): the text alone, or [text, value], when the rest is implied.
 * Spot-risk frames are packed further: rows by id, cells by column index.
 *
 * Page hooks (all optional but the table):
 *   - an element with data-view="ladder", "spot-risk" or "slide" (else the
 *     view is guessed from #ladder-table / #spot-risk-table); for the ladder,
 *     data-instrument and data-ticks on it or on #ladder-table;
 *   - ladder rows  <tr data-price="110.125"> with <td data-col="position"> ...;
 *     ladder header #ladder-header [data-field="position"] ... (spot: .spot-price);
 *   - spot-risk rows <tr data-key="XCME..."> inside <tbody data-expiry="AUG25">
 *     with <td data-col="bid">, totals rows <tr data-total="AUG25|portfolio">,
 *     and #portfolio-totals [data-col];
 *   - the slide: data-query on the data-view element (the socket's query); its
 *     frames are applied by slide.js (window.frgmSlide.snapshot / .delta);
 *   - #banner (base.html) and #e2e-latency;
 *   - spot risk: #batch-status ("batch 14/16 chunks" while the newest batch
 *     misses chunks; hidden once a complete batch or a single file is shown);
 *   - .feed-ages li[data-feed]: its title tells the last file's latency.
 * It calls window.frgmPages.setFeedAge(feed, s) and .spotMoved() when present,
 * and dispatches "frgm:frame" and "frgm:latency" events on document.
 */
(function () {
  "use strict";

  // Seconds after its last file a feed is stale: its expected interval, as the ops
  // pages call it late (the server renders them, admins may edit them; these
  // defaults only stand in when the page has none).
  var STALE_AFTER_S = feedIntervals({ "spot-risk": 5, "tt-positions": 5, "tt-orders": 5, "vtexp": 1800 });
  var VIEW_FEEDS = {
    "ladder": ["tt-positions", "tt-orders", "spot-risk"],
    "spot-risk": ["spot-risk", "vtexp"],
    "slide": ["tt-positions", "tt-orders", "spot-risk", "vtexp"]
  };
  var BACKOFF_MIN_MS = 500;
  // The tries of a page that lost its socket are 2-4 s apart at most: a web process
  // that comes back after a restart is found within 4 s (with 15 s, a restart that
  // took 7 s under load left pages waiting up to 8 s more: RTO 15 s missed; see
  // docs/RELIABILITY.md, "web restart"). A try while the web is down is refused at
  // once; 500 pages trying every 2-4 s are ~170 tries a second.
  var BACKOFF_MAX_MS = 4000;
  var SILENT_MS = 45000; // the server pings every 15 s: nothing for 45 s means dead
  var FLASH_MS = 600;
  var MAX_FLASHES = 600; // a screenful of cells
  var TONES = ["num-pos", "num-neg", "muted", "out-of-range"];
  // ladder/numbers.py OUT_OF_RANGE_NOTE: the tooltip of a value the stored data held
  // out of range (shown as a dash), as the server-rendered page has it.
  var OUT_OF_RANGE_NOTE = "value out of range in the stored data: not shown";
  var DASH = "\u2014"; // a missing value

  function feedIntervals(defaults) {
    var element = document.getElementById("feed-intervals");
    if (!element) return defaults;
    try {
      var given = JSON.parse(element.textContent);
      Object.keys(given).forEach(function (feed) {
        if (given[feed]) defaults[feed] = given[feed]; else delete defaults[feed];
      });
    } catch (err) { /* keep the defaults */ }
    return defaults;
  }

  var holder = document.querySelector("[data-view]");
  var ladderTable = document.getElementById("ladder-table");
  var spotTable = document.getElementById("spot-risk-table");
  var view = holder ? holder.dataset.view
    : ladderTable ? "ladder"
    : spotTable ? "spot-risk"
    : (document.getElementById("no-data") && /\/spot-risk\/?$/.test(location.pathname)) ? "spot-risk"
    : (document.getElementById("no-data") && /\/ladder\/?$/.test(location.pathname)) ? "ladder"
    : null;
  if (view !== "ladder" && view !== "spot-risk" && view !== "slide") return;

  var banner = document.getElementById("banner");
  var socket = null;
  var lastSeq = null; // null: waiting for a snapshot
  var backoff = BACKOFF_MIN_MS;
  var reconnectTimer = null;
  var lastFrameAt = 0;
  var clockOffsetMs = 0; // server clock - browser clock, when the browser's is clearly off
  var feeds = {};
  var down = false;
  var stopped = false;
  var flashing = [];
  var pendingFlash = [];
  var flashTimer = null;

  // ------------------------------------------------------------------ socket

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    if (view === "spot-risk") return scheme + location.host + "/ws/spot-risk/";
    if (view === "slide") return scheme + location.host + "/ws/slide/?" + (holder.dataset.query || "");
    var source = holder || ladderTable || document.body;
    var params = new URLSearchParams(location.search);
    var instrument = (source.dataset && source.dataset.instrument) ||
      (ladderTable && ladderTable.dataset.instrument) || params.get("instrument") || "";
    var ticks = (source.dataset && source.dataset.ticks) ||
      (ladderTable && ladderTable.dataset.ticks) || params.get("ticks") || "";
    var query = new URLSearchParams();
    if (instrument) query.set("instrument", instrument);
    if (ticks) query.set("ticks", ticks);
    var text = query.toString();
    return scheme + location.host + "/ws/ladder/" + (text ? "?" + text : "");
  }

  function connect() {
    reconnectTimer = null;
    lastSeq = null;
    try {
      socket = new WebSocket(socketUrl());
    } catch (err) {
      scheduleReconnect();
      return;
    }
    socket.onmessage = onMessage;
    socket.onclose = onClose;
    socket.onopen = function () { lastFrameAt = Date.now(); };
  }

  function onClose(event) {
    socket = null;
    lastSeq = null;
    if (event.code === 4401) { stop("Logged out: log in again to see live numbers."); return; }
    if (event.code === 4403) { stop("Your role may not see this live view."); return; }
    if (event.code === 4400) { stop("This live view cannot be opened (bad request)."); return; }
    down = true;
    paintBanner();
    scheduleReconnect();
  }

  function stop(message) {
    stopped = true;
    down = true;
    showBanner(message, "disconnected");
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    // exponential backoff with "equal jitter": half fixed, half random
    var delay = backoff / 2 + Math.random() * (backoff / 2);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    reconnectTimer = window.setTimeout(connect, delay);
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function askSnapshot() {
    lastSeq = null;
    send({ type: "snapshot" });
  }

  function onMessage(event) {
    var receivedAt = Date.now();
    lastFrameAt = receivedAt;
    var frame;
    try { frame = JSON.parse(event.data); } catch (err) { return; }
    if (frame.server_time) noteServerTime(frame.server_time, receivedAt);
    switch (frame.type) {
      case "snapshot":
        lastSeq = frame.seq;
        backoff = BACKOFF_MIN_MS;
        down = false;
        feeds = frame.feeds || {};
        if (frame.data) applySnapshot(frame.data);
        flushFlashes();
        paintBanner();
        break;
      case "delta":
        if (lastSeq === null) return; // a snapshot is on its way
        if (frame.seq !== lastSeq + 1) { askSnapshot(); return; }
        lastSeq = frame.seq;
        applyDelta(frame.data);
        flushFlashes();
        Object.keys(frame.feeds || {}).forEach(function (feed) {
          // the frame's S3 event time is its newest update's: that feed's file
          var newest = frame.feeds[feed] === frame.ingested_at;
          feeds[feed] = Object.assign({}, feeds[feed] || {}, {
            ingested_at: frame.feeds[feed], event_time: newest ? frame.s3_event_time : null
          });
        });
        showLatency(frame, receivedAt);
        break;
      case "resync":
        askSnapshot();
        break;
      case "health":
        Object.keys(frame.feeds || {}).forEach(function (feed) { feeds[feed] = frame.feeds[feed]; });
        paintBanner();
        break;
      case "ping":
        send({ type: "pong" });
        break;
      case "error":
        if (window.console) console.warn("live:", frame.code, frame.message);
        break;
    }
    document.dispatchEvent(new CustomEvent("frgm:frame", { detail: frame }));
  }

  function noteServerTime(serverTime, receivedAt) {
    var offset = serverTime * 1000 - receivedAt;
    // trust the browser's clock unless it is clearly off (network delay is far below 1 s)
    clockOffsetMs = Math.abs(offset) > 1000 ? offset : 0;
  }

  function now() { return Date.now() + clockOffsetMs; }

  // ------------------------------------------------------------------ cells

  function patchCell(td, cell, flash) {
    if (!td || !cell) return;
    if (td.dataset.value === cell[1] && td.textContent === cell[0]) return;
    td.textContent = cell[0];
    td.dataset.value = cell[1];
    var tone = cell[2] || "";
    if (td.dataset.tone !== tone) {
      TONES.forEach(function (name) { td.classList.remove(name); });
      tone.split(" ").forEach(function (c) { if (c) td.classList.add(c); });
      td.dataset.tone = tone;
      if (td.classList.contains("out-of-range")) {
        td.dataset.noted = "1";
        td.title = OUT_OF_RANGE_NOTE;
      } else if (td.dataset.noted) {
        delete td.dataset.noted;
        td.removeAttribute("title");
      }
    }
    if (flash) flashCell(td);
  }

  // Changed cells flash once the whole frame is applied, and only those on screen.
  // A spot-risk delta changes thousands of cells: flashing each one (or restarting a
  // CSS animation with a forced layout per cell) kept the tab busy for seconds.
  function flashCell(td) {
    pendingFlash.push(td);
  }

  // Which rows are on screen, told by the browser after its own layout: asking
  // (getBoundingClientRect) would force a layout of the whole table per frame.
  var onScreen = null;
  function watchRows() {
    if (!window.IntersectionObserver) return;
    onScreen = new Set();
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) onScreen.add(entry.target);
        else onScreen.delete(entry.target);
      });
    });
    document.querySelectorAll("#spot-risk-table tr, #ladder-table tr").forEach(function (tr) {
      tr.dataset.watched = "1";
      observer.observe(tr);
    });
    watchRows.observer = observer;
  }

  function visible(td) {
    if (!onScreen) return true;
    var tr = td.parentElement;
    if (tr && tr.tagName === "TR") {
      if (!tr.dataset.watched) { tr.dataset.watched = "1"; watchRows.observer.observe(tr); }
      return onScreen.has(tr);
    }
    return true; // header fields outside the tables: always on screen
  }

  function flushFlashes() {
    var cells = pendingFlash;
    pendingFlash = [];
    var shown = 0;
    for (var i = 0; i < cells.length && shown < MAX_FLASHES; i++) {
      if (!visible(cells[i])) continue;
      shown++;
      flashOn(cells[i]);
    }
  }

  // On, then off: two paints. A fading animation repaints every cell it runs on at
  // every frame, which on the spot-risk page cost more than the update itself.
  function flashOn(td) {
    td.classList.add("live-flash");
    flashing.push(td);
    if (flashTimer) return;
    flashTimer = window.setTimeout(function () {
      flashing.forEach(function (el) { el.classList.remove("live-flash"); });
      flashing = [];
      flashTimer = null;
    }, FLASH_MS);
  }

  function patchRow(tr, cells, flash) {
    Object.keys(cells).forEach(function (col) {
      patchCell(tr.querySelector('[data-col="' + col + '"]'), cells[col], flash);
    });
  }

  function newRowLike(template, attr, id, cells) {
    var tr = template.cloneNode(true);
    tr.setAttribute(attr, id);
    tr.classList.remove("spot");
    tr.removeAttribute("aria-current");
    tr.querySelectorAll("[data-col]").forEach(function (td) {
      td.textContent = "";
      td.dataset.value = "";
    });
    patchRow(tr, cells, false);
    return tr;
  }

  // ------------------------------------------------------------------ the ladder

  function ladderBody() {
    var table = document.getElementById("ladder-table");
    return table ? table.tBodies[0] : null;
  }

  function ladderRow(price) {
    var body = ladderBody();
    return body ? body.querySelector('tr[data-price="' + cssEscape(price) + '"]') : null;
  }

  function applyLadderHeader(header, flash) {
    var box = document.getElementById("ladder-header");
    Object.keys(header || {}).forEach(function (field) {
      var value = header[field];
      if (field === "spot_row") { moveSpot(value); return; }
      if (!box || !Array.isArray(value)) return;
      var el = box.querySelector('[data-field="' + field + '"]');
      if (!el) return;
      if (field === "spot") {
        var span = el.querySelector(".spot-price");
        if (span && span.textContent !== value[0]) {
          span.textContent = value[0];
          el.dataset.value = value[1];
          if (flash) flashCell(span);
        }
        var table = document.getElementById("ladder-table");
        if (table) table.dataset.spot = value[1];
        return;
      }
      patchCell(el, value, flash);
    });
  }

  function moveSpot(price) {
    var body = ladderBody();
    if (!body || !price) return;
    var current = body.querySelector("tr.spot");
    var next = ladderRow(price);
    if (current === next) return;
    if (current) { current.classList.remove("spot"); current.removeAttribute("aria-current"); }
    if (next) { next.classList.add("spot"); next.setAttribute("aria-current", "true"); }
    if (window.frgmPages && window.frgmPages.spotMoved) window.frgmPages.spotMoved();
  }

  function applyLadderRows(rows, order, flash) {
    var body = ladderBody();
    if (!body) {
      // the page was rendered before there was a ladder: let the server paint it
      if (order && order.length && document.getElementById("no-data")) location.reload();
      return;
    }
    var template = body.querySelector("tr[data-price]");
    Object.keys(rows).forEach(function (price) {
      var cells = rows[price];
      var tr = ladderRow(price);
      if (cells === null) { if (tr) tr.remove(); return; }
      if (tr) { patchRow(tr, cells, flash); return; }
      if (template) body.appendChild(newRowLike(template, "data-price", price, cells));
    });
    if (order) {
      order.forEach(function (price) { var tr = ladderRow(price); if (tr) body.appendChild(tr); });
      body.querySelectorAll("tr[data-price]").forEach(function (tr) {
        if (order.indexOf(tr.dataset.price) < 0) tr.remove();
      });
    }
  }

  // ------------------------------------------------------------------ spot risk

  var spotColumns = []; // the snapshot's column names: a cell's index -> its data-col
  var spotKeys = {}; // row id -> instrument key, as the snapshot and deltas give them

  // A packed cell (ladder/frames.py cell_pack) as [text, value, tone].
  function cellOf(packed) {
    if (typeof packed === "string") {
      var value = packed === "" || packed === DASH ? "" : packed.replace(/,/g, "").replace(/^\+/, "");
      return [packed, value, packed === DASH ? "muted" : ""];
    }
    if (packed.length === 2) return [packed[0], packed[1], packed[0] === DASH ? "muted" : ""];
    return packed;
  }

  // A packed row: a list (every cell, column order) or an object (column index -> cell).
  function spotCells(packed) {
    var cells = {};
    Object.keys(packed).forEach(function (i) { cells[spotColumns[i]] = cellOf(packed[i]); });
    return cells;
  }

  // Packed rows by id as {key: cells | null}; false when an id is unknown (ask a snapshot).
  function spotRowsByKey(rows) {
    var byKey = {};
    var ids = Object.keys(rows || {});
    for (var n = 0; n < ids.length; n++) {
      var id = ids[n], packed = rows[id];
      if (packed === null) {
        if (spotKeys[id] !== undefined) byKey[spotKeys[id]] = null;
        delete spotKeys[id];
        continue;
      }
      var cells = spotCells(packed);
      if (Array.isArray(packed)) spotKeys[id] = cells.key[0]; // a new row: its key comes first
      if (spotKeys[id] === undefined) return false;
      byKey[spotKeys[id]] = cells;
    }
    return byKey;
  }

  function spotTotals(totals) {
    var out = {};
    Object.keys(totals || {}).forEach(function (group) {
      out[group] = totals[group] === null ? null : spotCells(totals[group]);
    });
    return out;
  }

  function spotRow(key) {
    var table = document.getElementById("spot-risk-table");
    return table ? table.querySelector('tr[data-key="' + cssEscape(key) + '"]') : null;
  }

  function spotGroupOf(key, cells) {
    var itype = cells.itype ? cells.itype[1] : "";
    if (itype === "F") return "future";
    var parts = key.split(".");
    return parts.length > 2 ? parts[2] : "future";
  }

  function applySpotRows(rows, flash) {
    var table = document.getElementById("spot-risk-table");
    if (!table) {
      if (Object.keys(rows).length && document.getElementById("no-data")) location.reload();
      return;
    }
    var template = table.querySelector("tr[data-key]");
    Object.keys(rows).forEach(function (key) {
      var cells = rows[key];
      var tr = spotRow(key);
      if (cells === null) { if (tr) tr.remove(); return; }
      if (tr) { patchRow(tr, cells, flash); return; }
      var body = table.querySelector('tbody[data-expiry="' + cssEscape(spotGroupOf(key, cells)) + '"]');
      if (!body || !template) return; // a new expiry group: shown on the next page load
      var row = newRowLike(template, "data-key", key, cells);
      body.insertBefore(row, body.querySelector("tr.total"));
    });
  }

  function applySpotTotals(totals, flash) {
    Object.keys(totals || {}).forEach(function (group) {
      var cells = totals[group];
      if (!cells) return;
      document.querySelectorAll('tr[data-total="' + cssEscape(group) + '"]').forEach(function (tr) {
        patchRow(tr, cells, flash);
      });
      if (group === "portfolio") {
        var box = document.getElementById("portfolio-totals");
        if (box) patchRow(box, cells, flash);
      }
    });
  }

  // ------------------------------------------------------------------ frames

  function applySnapshot(data) {
    if (view === "slide") {
      if (window.frgmSlide) window.frgmSlide.snapshot(data);
    } else if (view === "ladder") {
      applyLadderRows(withRemoved(data.rows, "tr[data-price]", "price"), data.order || Object.keys(data.rows || {}), true);
      applyLadderHeader(data.header, true);
    } else {
      spotColumns = data.columns || [];
      spotKeys = {};
      applySpotRows(withRemoved(spotRowsByKey(data.rows), "tr[data-key]", "key"), true);
      applySpotTotals(spotTotals(data.totals), true);
      showBatch(data.batch);
    }
  }

  // The newest spot-risk batch that misses chunks is shown with what arrived, marked.
  function showBatch(batch) {
    var el = document.getElementById("batch-status");
    if (!el || batch === undefined) return;
    if (!batch) { el.hidden = true; el.textContent = ""; delete el.dataset.batch; return; }
    el.textContent = "batch " + batch.arrived + "/" + batch.chunks + " chunks";
    el.dataset.batch = batch.name;
    el.hidden = false;
  }

  // A snapshot is the whole view: rows on the page that it lacks are gone.
  function withRemoved(rows, selector, attr) {
    var all = Object.assign({}, rows || {});
    document.querySelectorAll(selector).forEach(function (tr) {
      if (!(tr.dataset[attr] in all)) all[tr.dataset[attr]] = null;
    });
    return all;
  }

  function applyDelta(data) {
    if (view === "slide") {
      if (window.frgmSlide) window.frgmSlide.delta(data);
    } else if (view === "ladder") {
      applyLadderRows(data.rows || {}, data.order || null, true);
      applyLadderHeader(data.header, true);
    } else {
      var rows = spotRowsByKey(data.rows);
      if (rows === false) { askSnapshot(); return; } // a row this page never heard of
      applySpotRows(rows, true);
      applySpotTotals(spotTotals(data.totals), true);
      showBatch(data.batch);
    }
  }

  function showLatency(frame, receivedAt) {
    if (!frame.s3_event_time) return;
    var event = Date.parse(frame.s3_event_time);
    if (isNaN(event)) return;
    var ms = Math.max(0, receivedAt + clockOffsetMs - event);
    var el = document.getElementById("e2e-latency");
    if (el) {
      el.textContent = ms < 10000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s";
      el.dataset.value = String(Math.round(ms));
      el.title = "S3 event " + frame.s3_event_time + " to this browser" +
        (frame.ingested_at ? "; ingest finished " + Math.round(frame.ingested_at * 1000 - event) + " ms after the event" : "");
    }
    document.dispatchEvent(new CustomEvent("frgm:latency", {
      detail: { ms: ms, s3_event_time: frame.s3_event_time, ingested_at: frame.ingested_at, view: frame.view }
    }));
  }

  // ------------------------------------------------------------------ banner

  function showBanner(text, state) {
    if (!banner) return;
    if (banner.textContent !== text) banner.textContent = text;
    banner.dataset.state = state;
    banner.hidden = false;
  }

  function hideBanner() {
    if (!banner) return;
    banner.hidden = true;
    banner.textContent = "";
    delete banner.dataset.state;
  }

  function paintBanner() {
    if (stopped) return;
    if (down) { showBanner("Disconnected — reconnecting…", "disconnected"); return; }
    var stale = [];
    var nowS = now() / 1000;
    (VIEW_FEEDS[view] || []).forEach(function (feed) {
      var stamp = feeds[feed];
      if (!stamp || !stamp.ingested_at) return;
      var age = Math.max(0, nowS - stamp.ingested_at);
      if (window.frgmPages && window.frgmPages.setFeedAge) window.frgmPages.setFeedAge(feed, age);
      noteFeedLatency(feed, stamp);
      var limit = STALE_AFTER_S[feed];
      if (limit !== undefined && age > limit) stale.push("stale: " + feed + " last file " + Math.round(age) + " s ago");
    });
    if (stale.length) showBanner(stale.join(" · "), "stale");
    else hideBanner();
  }

  // A health frame carries the file's S3 event time: its latency to ingested.
  function noteFeedLatency(feed, stamp) {
    var li = document.querySelector('.feed-ages li[data-feed="' + cssEscape(feed) + '"]');
    var event = stamp.event_time ? Date.parse(stamp.event_time) : NaN;
    if (!li || isNaN(event)) return;
    var ms = Math.round(stamp.ingested_at * 1000 - event);
    li.dataset.latencyMs = String(ms);
    li.title = "last file " + (stamp.file_time || "") + ": S3 event to ingested " + ms + " ms";
  }

  function tick() {
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - lastFrameAt > SILENT_MS) {
      socket.close(); // a dead connection the browser has not noticed: onclose reconnects
    }
    paintBanner();
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, "\\$&");
  }

  window.frgmLive = {
    view: view,
    state: function () {
      return { connected: !!socket && socket.readyState === WebSocket.OPEN, seq: lastSeq, feeds: feeds };
    },
    // tests and the "kill the websocket" drill
    drop: function () { if (socket) socket.close(); },
    patchCell: patchCell,
    // Other parameters for the view (the slide's): its snapshot comes next. A closed
    // socket reconnects with the page's data-query, which the caller has updated.
    subscribe: function (query) {
      // lastSeq stays: the new view's snapshot resets it (the server clears the socket's
      // queue first), and a refused query leaves the socket on its view, deltas and all
      send({ type: "subscribe", query: query });
    }
  };

  function start() {
    watchRows();
    connect();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
