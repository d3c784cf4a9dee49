"""Which parser owns an S3 key, and the one entry point: ``file_parse``.

The key layout is the feed server's contract (FEEDS.md "Where files land"),
owned by ``feeds.feed_keys``; each parser names the keys it owns from there, so
adding a feed is adding a parser (and its pattern).
"""

from __future__ import annotations

import re
from datetime import date

from feeds.feed_keys import stamp_time
from feeds.limits import FILE_LIMITS
from feeds.parsers.base import ParseError, Parser, UnknownKey
from feeds.parsers.spot_risk import SpotRiskParser
from feeds.parsers.tt_instruments import TtInstrumentsParser
from feeds.parsers.tt_orders import TtOrdersParser
from feeds.parsers.tt_positions import TtPositionsParser
from feeds.parsers.vtexp import VtexpParser
from feeds.records import Feed, FeedKey, ParsedFile

_PARSERS: dict[Feed, Parser] = {
    parser.feed: parser
    for parser in (
        SpotRiskParser(),
        VtexpParser(),
        TtPositionsParser(),
        TtOrdersParser(),
        TtInstrumentsParser(),
    )
}


def parser_for(feed: Feed) -> Parser:
    return _PARSERS[feed]


def feed_key_parse(key: str) -> FeedKey | None:
    """What ``key`` says about its file, or None when it is not a feed file
    (the caller ignores and counts those)."""
    for parser in _PARSERS.values():
        match = parser.key_pattern.fullmatch(key)
        if match is not None:
            return _feed_key(parser.feed, key, match)
    return None


def file_parse(*, key: str, data: bytes) -> ParsedFile:
    """Parse one feed file. Raises ``UnknownKey`` for a key that is not a feed
    file and ``ParseError`` for a feed file we refuse."""
    source = feed_key_parse(key)
    if source is None:
        raise UnknownKey(key)
    size_check(feed=source.feed, size=len(data), file=key)
    return parser_for(source.feed).parse(data, source=source)


def size_check(*, feed: Feed, size: int, file: str) -> None:
    """Refuse a file bigger than its feed's limit (feeds/limits.py), naming its
    true size: the pipeline asks before it downloads, parsing asks again."""
    most = FILE_LIMITS[feed].max_bytes
    if size > most:
        raise ParseError(
            f"the file is {size:,} bytes: a {feed} file is at most {most:,}", file=file
        )


def _feed_key(feed: Feed, key: str, match: re.Match[str]) -> FeedKey | None:
    found = match.groupdict()
    try:
        trading_date = date.fromisoformat(found["date"]) if found.get("date") else None
        file_time = stamp_time(found["stamp"]) if found.get("stamp") else None
    except ValueError:
        return None  # 2025-13-45 looks like a feed file but no server wrote it
    chunk = int(found["chunk"]) if found.get("chunk") else None
    chunks = int(found["chunks"]) if found.get("chunks") else None
    if chunk is not None and chunks is not None and not 1 <= chunk <= chunks:
        return None
    return FeedKey(
        feed=feed,
        key=key,
        trading_date=trading_date,
        file_time=file_time,
        chunk=chunk,
        chunks=chunks,
        instrument_id=found.get("instrument_id"),
    )
