"""``python -m bench.connect_storm [--clients 500]``: what one connect costs the web.

The web-restart drill's reconnect storm without the restart: a whole ``make run``
stack (``bench.drills.stack``, simulator on, free ports), then ``--clients``
trader clients (``bench.drills.web_clients``, in two processes of their own as
the drill runs them) all opening ``/ws/spot-risk/`` at once. Printed: when each
got its snapshot (from the first to the last: connects a second), and the web
process's CPU seconds meanwhile per connect (user + system, from ``/proc``), the
figure that does not depend on how busy the shared machine is.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

from bench.drills import web_clients
from bench.drills.stack import load_average, stack_port, stack_running, wait_for, wait_or_exit
from bench.stats import percentile, process_cpu_s

CLIENT_PROCESSES = 2


def _cpu_s(pid: int) -> float:
    """The web process's user + system CPU seconds so far (it must be running)."""
    cpu = process_cpu_s(pid)
    if cpu is None:
        raise SystemExit(f"the web process {pid} is gone")
    return cpu


def _clients(at_once: int, *args: object) -> None:
    web_clients.FIRST_CONNECTS_AT_ONCE = at_once  # a storm: no gate on the first connects
    web_clients.clients_process(*args)  # type: ignore[arg-type]


def storm_run(*, clients: int) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    port = stack_port()
    with stack_running(port=port) as stack:
        trader = stack.browser("trader")
        wait_or_exit(
            lambda: trader.get("/api/spot-risk/")[0] == 200, within_s=90, what="simulated spot risk"
        )
        web = int(stack.processes()["web"]["pid"])
        stop, out, ready = ctx.Event(), ctx.Queue(), ctx.Value("i", 0)
        back = (ctx.Value("d", 0.0), ctx.Value("i", 0))
        url = f"ws://127.0.0.1:{port}/ws/spot-risk/"
        args = (url, stack.base, trader.cookie_header())
        processes = [
            ctx.Process(
                target=_clients,
                args=(clients, *args, clients // CLIENT_PROCESSES, stop, ready, back, out),
                daemon=True,
            )
            for _ in range(CLIENT_PROCESSES)
        ]
        before, load = _cpu_s(web), load_average()
        for process in processes:
            process.start()
        wait_for(lambda: ready.value >= clients, within_s=180, every_s=0.05)
        web_cpu = _cpu_s(web) - before
        stop.set()
        parts = [out.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=30)
    firsts = sorted(log["snapshots"][0][0] for part in parts for log in part["logs"]
                    if log["snapshots"])  # fmt: skip
    if len(firsts) < clients:
        return [f"only {len(firsts)} of {clients} clients got a snapshot within 180 s"]
    since = [t - firsts[0] for t in firsts]
    span = since[-1] or 1e-9
    return [
        f"{clients} clients opening /ws/spot-risk/ at once (load before {load}, after "
        f"{load_average()}):",
        f"  snapshots from the first: p50 {percentile(since, 50):.2f} s, p99 "
        f"{percentile(since, 99):.2f} s, last {since[-1]:.2f} s: {clients / span:.0f} connects/s",
        f"  web CPU meanwhile {web_cpu:.2f} s: {web_cpu / clients * 1000:.1f} ms a connect "
        "(with the live updates it sent meanwhile)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    for _ in range(options.runs):
        print("\n".join(storm_run(clients=options.clients)), flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
