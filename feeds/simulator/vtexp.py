"""Actant's time-to-expiry file: ``symbol,vtexp``, one row per expiry token, soonest first."""

from __future__ import annotations

from datetime import datetime

from feeds.simulator.calendar import Expiry, vtexp_days

VTEXP_HEADER = "symbol,vtexp"


def vtexp_file(*, now: datetime, expiries: list[Expiry]) -> bytes:
    """Rows for the expiries still alive at ``now`` (six decimals, leading zero, as Actant)."""
    lines = [VTEXP_HEADER]
    for expiry in sorted(expiries, key=lambda e: e.expires_at):
        if expiry.expires_at > now:
            days = vtexp_days(now=now, expires_at=expiry.expires_at)
            lines.append(f"{expiry.vtexp_symbol},{days:.6f}")
    return ("\n".join(lines) + "\n").encode("ascii")
