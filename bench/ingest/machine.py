"""The machine and versions a run measured on, as name/value lines."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime

from bench.ingest.stack import Bench
from bench.stats import command_version, cpu_model, load_average, memory_gib


def machine_report(bench: Bench) -> list[tuple[str, str]]:
    import boto3
    import moto
    import redis

    mem = memory_gib()
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("memory", f"{mem:.1f} GiB" if mem else "unknown"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("redis-server", command_version("redis-server", "--version")),
        ("moto", moto.__version__),
        ("boto3 / redis-py", f"{boto3.__version__} / {redis.__version__}"),
        ("load average", f"{load_average()} (1, 5, 15 min) at start"),
    ]


def pairs_text(pairs: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in pairs)
