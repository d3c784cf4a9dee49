"""Run the fault drills (all, or those named) and print one table; exit 1 if one misses."""

from __future__ import annotations

import argparse
import signal
import traceback
from collections.abc import Callable

from bench.drills import (
    aws_outage,
    messaging_kill,
    process_death,
    state_flush,
    state_store,
    transient_dlq,
    web_restart,
    worker_kill,
)
from bench.drills.stack import DrillResult, results_table

DRILLS: dict[str, Callable[[], DrillResult]] = {
    "state_store": state_store.drill_run,
    "worker_kill": worker_kill.drill_run,
    "state_flush": state_flush.drill_run,
    "messaging_kill": messaging_kill.drill_run,
    "aws_outage": aws_outage.drill_run,
    "web_restart": web_restart.drill_run,
    "transient_dlq": transient_dlq.drill_run,
    "process_death": process_death.drill_run,
}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the drill's finally blocks stop what it started


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("drills", nargs="*", help=f"any of {', '.join(DRILLS)} (default: all)")
    names = parser.parse_args().drills or list(DRILLS)
    unknown = [name for name in names if name not in DRILLS]
    if unknown:
        parser.error(f"no drill {', '.join(unknown)}: choose from {', '.join(DRILLS)}")
    results = []
    for name in names:
        print(f"drill {name} ...", flush=True)
        try:
            result = DRILLS[name]()
        except (Exception, SystemExit) as exc:  # one drill failing still reports the others
            traceback.print_exc()
            result = DrillResult(name=name, rto_s=None, rpo_s=None, notes=[f"failed: {exc}"])
        print(results_table([result]), flush=True)
        results.append(result)
    print("\n" + results_table(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
