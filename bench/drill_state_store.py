"""Drill: stop the state store for 20 s under a real ``make run`` stack.

    .venv/bin/python -m bench.drill_state_store [--outage 20] [--port 8600]

Kept for its command line; the drill lives in ``bench.drills.state_store``
(``python -m bench.drills`` runs every drill). Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse

from bench.drills.stack import results_table
from bench.drills.state_store import drill_run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8600)
    args = parser.parse_args()
    result = drill_run(port=args.port, outage_s=args.outage)
    print(results_table([result]))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
