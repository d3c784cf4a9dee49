"""Feed parsers: pure ``bytes -> ParsedFile`` functions, one module per format.

Callers use ``file_parse(key=..., data=...)``; ``feed_key_parse`` tells a feed
file from anything else in the bucket without reading it.
"""

from feeds.parsers.base import ParseError, Parser, UnknownKey
from feeds.parsers.registry import feed_key_parse, file_parse, parser_for, size_check

__all__ = [
    "ParseError",
    "Parser",
    "UnknownKey",
    "feed_key_parse",
    "file_parse",
    "parser_for",
    "size_check",
]
