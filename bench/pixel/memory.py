"""Memory samples for the soak: RSS of the web and worker process trees (from
/proc), ``INFO memory`` ``used_memory`` of both Redis servers, and their slopes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import redis

from bench.stats import tree_rss_mib


def redis_used_mib(port: int) -> float | None:
    try:
        info = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5).info("memory")
    except redis.RedisError:
        return None
    return float(info["used_memory"]) / 2**20


def slope_mib_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) samples, in MiB a minute."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return None
    cov = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return cov / var * 60


@dataclass
class MemoryWatch:
    """Samples every ``every_s``; the first ``warmup_s`` are left out of the slopes."""

    pids: dict[str, int]  # name -> pid (a process tree)
    redis_ports: dict[str, int]  # name -> port
    every_s: float = 30.0
    warmup_s: float = 120.0
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _next: float = 0.0

    def __call__(self, elapsed: float) -> None:
        if elapsed < self._next:
            return
        self._next = elapsed + self.every_s
        for name, pid in self.pids.items():
            value = tree_rss_mib(pid)
            if value is not None:
                self.samples.setdefault(f"{name} RSS", []).append((elapsed, value))
        for name, port in self.redis_ports.items():
            value = redis_used_mib(port)
            if value is not None:
                self.samples.setdefault(f"{name} used_memory", []).append((elapsed, value))
        line = ", ".join(f"{k} {v[-1][1]:.1f} MiB" for k, v in self.samples.items())
        print(
            f"  [{elapsed:5.0f} s] {line}; load {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            flush=True,
        )

    def slopes(self) -> dict[str, tuple[float | None, float, float]]:
        """name -> (slope MiB/min after the warm-up, first, last sample)."""
        out = {}
        for name, values in self.samples.items():
            steady = [(t, v) for t, v in values if t >= self.warmup_s]
            out[name] = (slope_mib_per_min(steady), values[0][1], values[-1][1])
        return out
