"""Actant time to expiry (FEEDS.md "Time to expiry"): ``symbol,vtexp`` rows,
days to expiry per expiry token (the symbol's last dot-separated part)."""

from __future__ import annotations

import re

from feeds.feed_keys import KEY_PATTERNS
from feeds.limits import VTEXP_DAYS
from feeds.parsers.base import MONTH_YEAR, FieldError, ParseError, bounded, decimal_cell
from feeds.parsers.table import Row, csv_rows, ends_with_newline, header_index, width_check
from feeds.records import Feed, FeedKey, ParsedFile, VtexpRow

COLUMNS = ("symbol", "vtexp")
# XCME.ZN.N.G.22JUL25: dot-separated upper-case parts ending in an expiry
# token (22JUL25, or AUG25 for a monthly), the token option keys look up.
_SYMBOL = re.compile(rf"XCME(?:\.[A-Z0-9]+)+\.(?P<expiry>(?:[0-9]{{2}})?{MONTH_YEAR.pattern})")


class VtexpParser:
    feed = Feed.VTEXP
    key_pattern = KEY_PATTERNS[Feed.VTEXP]

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile:
        return vtexp_parse(data, source=source)


def vtexp_parse(data: bytes, *, source: FeedKey) -> ParsedFile:
    file = source.key
    header, *body = csv_rows(data, file=file, feed=Feed.VTEXP)
    index, warnings = header_index(header, required=COLUMNS, known=COLUMNS, file=file)
    if not body:
        raise ParseError("no expiry rows: the file has only its header", file=file)
    width = len(header[1])
    rows: list[VtexpRow] = []
    first_line: dict[str, int] = {}
    for row in body:
        width_check(row, width, file=file)
        record = _record(row, index, file=file)
        first = first_line.setdefault(record.expiry, row[0])
        if first != row[0]:
            # Option keys look up their expiry by token: two answers is none.
            raise ParseError(
                f"duplicate expiry {record.expiry} (first on row {first})",
                file=file,
                row=row[0],
                column="symbol",
            )
        rows.append(record)
    ends_with_newline(data, body[-1], file=file)
    return ParsedFile(feed=Feed.VTEXP, source=source, vtexp=tuple(rows), warnings=warnings)


def _record(row: Row, index: dict[str, int], *, file: str) -> VtexpRow:
    line, cells = row
    symbol = cells[index["symbol"]].strip()
    expiry = symbol.rsplit(".", 1)[-1]
    if not expiry:
        raise ParseError(
            f"symbol {symbol!r} has no expiry token", file=file, row=line, column="symbol"
        )
    if not _SYMBOL.fullmatch(symbol):
        raise ParseError(
            f"symbol {symbol[:60]!r} is not like XCME.ZN.N.G.22JUL25 or XCME.ZN.N.G.AUG25",
            file=file,
            row=line,
            column="symbol",
        )
    try:
        days = decimal_cell(cells[index["vtexp"]], "vtexp", "number of days")
        if days is not None and days >= 0:
            bounded(days, "vtexp", VTEXP_DAYS, repr(cells[index["vtexp"]]))
    except FieldError as error:
        raise ParseError(error.reason, file=file, row=line, column=error.column) from None
    if days is None or days < 0:
        shown = cells[index["vtexp"]]
        raise ParseError(
            f"{shown!r} is not a time to expiry (days >= 0)", file=file, row=line, column="vtexp"
        )
    return VtexpRow(symbol=symbol, expiry=expiry, days=days)
