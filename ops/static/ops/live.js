// The ops page, live: replaces the feed and alarm rows with the server's latest
// rendering; reconnects with backoff and jitter; says so while disconnected.
(function () {
  "use strict";
  var banner = document.getElementById("banner");
  var delay = 500;

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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
