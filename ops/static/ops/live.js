// The ops page, live: replaces the feed and alarm rows with the server's latest
// rendering; moves a feed's "last file" cell when a file lands (a "file" frame:
// its arrival and latency, between renders); reconnects with backoff and jitter;
// says so while disconnected.
(function () {
  "use strict";
  var banner = document.getElementById("banner");
  var delay = 500;
  var lastFiles = {}; // feed -> the newest "file" frame
  var clockOffsetMs = 0; // server clock minus this browser's

  function age(seconds) { // ops_format.age, for the ages a file frame starts
    if (seconds < 120) return seconds.toFixed(1) + " s";
    var minutes = Math.floor(seconds / 60);
    return minutes < 120 ? minutes + " min" : Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function paintFile(feed) {
    var frame = lastFiles[feed];
    var cell = document.querySelector('#feed-rows tr[data-feed="' + feed + '"] td.last-file');
    if (!frame || !cell) return;
    var seconds = Math.max(0, (Date.now() + clockOffsetMs) / 1000 - frame.ingested_at);
    cell.textContent = age(seconds) + " ago";
    cell.dataset.ingestedAt = String(frame.ingested_at);
    cell.title = frame.key + (frame.latency_ms === null ? "" : ": S3 event to ingested " + Math.round(frame.latency_ms) + " ms");
  }

  function show(text) {
    if (!banner) return;
    banner.textContent = text;
    banner.dataset.state = "disconnected";
    banner.hidden = false;
  }

  function hide() {
    if (!banner) return;
    banner.hidden = true;
    delete banner.dataset.state;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/ops/");
    socket.onopen = function () { delay = 500; hide(); };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "file") {
        clockOffsetMs = frame.server_time * 1000 - Date.now();
        lastFiles[frame.feed] = frame;
        paintFile(frame.feed);
        return;
      }
      if (frame.type !== "rows") return;
      var feeds = document.getElementById("feed-rows");
      var alarms = document.getElementById("alarm-rows");
      if (feeds) feeds.innerHTML = frame.feeds;
      if (alarms) alarms.innerHTML = frame.alarms;
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) { show("Not allowed: log in again."); return; }
      show("Disconnected — reconnecting…");
      var wait = delay * (0.5 + Math.random());
      delay = Math.min(delay * 2, 15000);
      window.setTimeout(connect, wait);
    };
  }

  function start() {
    connect();
    // the ages a file frame started keep counting between frames
    window.setInterval(function () { Object.keys(lastFiles).forEach(paintFile); }, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
