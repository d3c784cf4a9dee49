// Ops task runs, live: each run's row is replaced by the server's rendering of its
// latest state (or added on top when it is new); reconnects with backoff and jitter.
(function () {
  "use strict";
  var banner = document.getElementById("banner");
  var delay = 500;

  function say(text) {
    if (!banner) return;
    banner.textContent = text;
    banner.dataset.state = "disconnected";
    banner.hidden = false;
  }

  function place(frame) {
    var body = document.getElementById("task-runs");
    if (!body) return;
    var rows = document.createElement("tbody");
    rows.innerHTML = frame.html;
    body.querySelectorAll('tr[data-run-detail="' + frame.run + '"]').forEach(function (row) {
      row.remove();
    });
    var old = body.querySelector('tr[data-run="' + frame.run + '"]');
    var anchor = old || body.firstChild;
    while (rows.firstElementChild) body.insertBefore(rows.firstElementChild, anchor);
    if (old) old.remove();
    var empty = body.querySelector("tr.no-runs");
    if (empty) empty.remove();
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/ops/tasks/");
    socket.onopen = function () {
      delay = 500;
      if (banner) { banner.hidden = true; delete banner.dataset.state; }
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "task") place(frame);
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) { say("Not allowed: log in again."); return; }
      say("Disconnected — reconnecting…");
      var wait = delay * (0.5 + Math.random());
      delay = Math.min(delay * 2, 15000);
      window.setTimeout(connect, wait);
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
