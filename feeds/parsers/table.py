"""Reading Actant's CSV files into rows with their line numbers, and checking
the header. Tolerant of what Windows tools and hand edits add (BOM, CRLF,
quotes, blank lines, column order); strict about what changes meaning."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence

from feeds.limits import FILE_LIMITS
from feeds.parsers.base import ParseError, utf8_text
from feeds.records import Feed

Row = tuple[int, list[str]]  # (1-based line number, cells)


def csv_rows(data: bytes, *, file: str, feed: Feed) -> list[Row]:
    """Every non-blank CSV record, header included, with the line it ends on.

    A file with more lines than its feed's row limit (feeds/limits.py) is
    refused before a row is read: rows are what cost memory.
    """
    most = FILE_LIMITS[feed].max_rows
    lines_in = data.count(b"\n")
    if lines_in > most + 2:  # the header and Actant's Type row
        raise ParseError(f"{lines_in:,} lines: a {feed} file has at most {most:,} rows", file=file)
    text = utf8_text(data, file=file)
    if "\x00" in text:
        raise ParseError("contains NUL bytes: a binary file, not CSV text", file=file)
    lines = text.replace("\r\n", "\n")
    if '"' not in lines and "\r" not in lines:
        # Without quotes a record is a line and its fields lie between commas:
        # exactly what csv.reader returns, in half the time (files come every
        # 1-2 s, and Actant quotes nothing).
        return [
            (number, line.split(","))
            for number, line in enumerate(lines.split("\n"), 1)
            if line and not line.isspace()
        ]
    # newline="" lets the csv module see CRLF and newlines inside quotes itself.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    try:
        for cells in reader:
            if cells and (len(cells) > 1 or cells[0].strip()):
                rows.append((reader.line_num, cells))
    except csv.Error as error:
        raise ParseError(f"not valid CSV: {error}", file=file, row=reader.line_num) from None
    return rows


def header_index(
    header: Row, *, required: Sequence[str], known: Collection[str], file: str
) -> tuple[dict[str, int], tuple[str, ...]]:
    """Column name -> position, and a warning per column we do not know.

    Producers reorder and add columns between versions; a missing required
    column or a repeated one would change meaning, so those are errors.
    """
    line, cells = header
    names = [cell.strip() for cell in cells]
    if names[0].startswith(("{", "[")):
        raise ParseError("looks like JSON, not CSV", file=file, row=line)
    if len(names) == 1:
        raise ParseError(
            f"the header {names[0][:60]!r} is a single column: not comma-separated",
            file=file,
            row=line,
        )
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in index:
            raise ParseError(f"column {name} appears twice", file=file, row=line, column=name)
        index[name] = position
    for name in required:
        if name not in index:
            raise ParseError(f"missing column {name}", file=file, row=line, column=name)
    warnings = tuple(f"ignored unknown column {name!r}" for name in names if name not in known)
    return index, warnings


def width_check(row: Row, width: int, *, file: str) -> None:
    """A record with a different field count has shifted values: refuse it."""
    line, cells = row
    if len(cells) != width:
        raise ParseError(f"{len(cells)} fields where the header has {width}", file=file, row=line)


def ends_with_newline(data: bytes, last: Row, *, file: str) -> None:
    """Every file the feed server writes ends with a newline: one that does not
    was cut while written or copied, and its last number may be cut short."""
    if not data.endswith(b"\n"):
        raise ParseError(
            "the last line is cut: the file does not end with a newline", file=file, row=last[0]
        )
