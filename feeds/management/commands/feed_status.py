"""Feed health at a glance, for a person at a terminal (or a script, with --json)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from feeds.models import QuarantinedFile
from feeds.selectors import FeedHealth, feed_health_all, quarantined_recent
from lib.redis_clients import StateStoreUnavailable

REASON_WIDTH = 100


class Command(BaseCommand):
    help = (
        "Per feed: the last file, its age, files in the last minute and hour, the last "
        "end-to-end latency and parse errors; then the files quarantined most recently."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument(
            "--quarantined", type=int, default=10, help="how many quarantined files (default 10)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            health = feed_health_all()
        except StateStoreUnavailable as exc:
            raise CommandError(str(exc)) from exc
        quarantined = quarantined_recent(limit=options["quarantined"])
        if options["json"]:
            document = {
                "feeds": [_health_json(h) for h in health],
                "quarantined": [_quarantined_json(q) for q in quarantined],
            }
            self.stdout.write(json.dumps(document, indent=2))
            return
        self.stdout.write(_table(health))
        self.stdout.write("")
        self.stdout.write(_quarantine_table(quarantined))


def _table(health: list[FeedHealth]) -> str:
    header = ("FEED", "LAST FILE", "AGE", "FILES/MIN", "FILES/H", "LATENCY", "ERRORS/H", "TOTAL")
    rows = [
        (
            h.feed.value,
            h.last_key or "-",
            _age(h.age_s),
            str(h.files_last_minute),
            str(h.files_last_hour),
            _millis(h.last_latency_ms),
            str(h.parse_errors_last_hour),
            str(h.files_total),
        )
        for h in health
    ]
    return _columns(header, rows, right=range(2, len(header)))


def _quarantine_table(quarantined: list[QuarantinedFile]) -> str:
    if not quarantined:
        return "Quarantined files: none"
    header = ("FIRST SEEN", "FEED", "KIND", "SEEN", "KEY")
    rows = [
        (
            timezone.localtime(q.first_seen).strftime("%Y-%m-%d %H:%M:%S %Z"),
            q.feed or "-",
            q.kind,
            str(q.times_seen),
            q.key,
        )
        for q in quarantined
    ]
    lines = _columns(header, rows, right=(3,)).splitlines()
    out = ["Quarantined files (newest first):", lines[0]]
    for line, q in zip(lines[1:], quarantined, strict=True):
        out += [line, f"    reason: {_one_line(q.reason)}"]
    return "\n".join(out)


def _columns(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, right: Iterable[int] = ()
) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    aligned = set(right)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in aligned else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join(line(cells) for cells in (header, *rows))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def _millis(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= REASON_WIDTH else flat[: REASON_WIDTH - 3] + "..."


def _health_json(h: FeedHealth) -> dict[str, Any]:
    return {
        "feed": h.feed.value,
        "last_key": h.last_key,
        "last_file_time": _iso(h.last_file_time),
        "last_event_time": _iso(h.last_event_time),
        "last_ingested_at": _iso(h.last_ingested_at),
        "age_s": h.age_s,
        "files_last_minute": h.files_last_minute,
        "files_last_hour": h.files_last_hour,
        "last_latency_ms": h.last_latency_ms,
        "parse_errors_last_hour": h.parse_errors_last_hour,
        "totals": h.totals,
    }


def _quarantined_json(q: QuarantinedFile) -> dict[str, Any]:
    return {
        "bucket": q.bucket,
        "key": q.key,
        "version_id": q.version_id or None,
        "feed": q.feed or None,
        "kind": q.kind,
        "reason": q.reason,
        "row": q.row,
        "column": q.column or None,
        "first_seen": q.first_seen.isoformat(),
        "times_seen": q.times_seen,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
