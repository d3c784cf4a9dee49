"""The bounds every feed file is judged against, stated once.

A value outside these is not a market the desk can see: the file is
quarantined with the value and the bound in its reason, so nothing downstream
(Greeks, tick rounding, 32nds formatting, JSON, DynamoDB) ever meets it.
docs/ARCHITECTURE.md "Feed limits" repeats them for people; change both.

The desk trades CME ZN (~110 points) and its options (below ~10 points);
the bounds are an order of magnitude or more beyond anything real, and far
inside what can overflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from feeds.records import Feed


@dataclass(frozen=True)
class Bound:
    """A closed range a number must lie in, and what it is called in a reason."""

    low: Decimal
    high: Decimal
    what: str

    def holds(self, value: Decimal | int) -> bool:
        return self.low <= value <= self.high

    def refusal(self, shown: str) -> str:
        """``pnlPrice 1E+308 is out of range: a price is 0 to 1000 points``."""
        return f"{shown} is out of range: {self.what} is {self.low:,} to {self.high:,}"


# Prices and strikes, in points (futures, options, stops, TT's pnlPrice, averages).
PRICE = Bound(Decimal(0), Decimal(1000), "a price in points")
STRIKE = Bound(Decimal(0), Decimal(1000), "a strike in points")
# Actant's implied volatilities (basis-point vols: ~400-1,000 in the samples).
VOLATILITY = Bound(Decimal(0), Decimal(100_000), "an implied volatility")
# Positions, in contracts (signed).
POSITION = Bound(Decimal(-1_000_000), Decimal(1_000_000), "a position in contracts")
# Order, fill and working quantities, in contracts (never negative).
QUANTITY = Bound(Decimal(0), Decimal(1_000_000), "a quantity in contracts")
# Dollar amounts: P&L, premium, market value ($1,000 a point x 1M contracts x 1,000 points).
MONEY = Bound(Decimal(-(10**12)), Decimal(10**12), "an amount in dollars")
# TT tick sizes in points: ZN futures trade in 1/64, options down to 1/256 and
# a cabinet below; 1/1024 is the smallest accepted, one point the largest.
TICK_SIZE = Bound(Decimal(1) / Decimal(1024), Decimal(1), "a tick size in points")
# A tick's and a point's dollar value (ZN: $15.625 and $1,000).
TICK_VALUE = Bound(Decimal("0.0001"), Decimal(100_000), "a tick value in dollars")
POINT_VALUE = Bound(Decimal("0.0001"), Decimal(1_000_000), "a point value in dollars")
# Actant's time to expiry, trading days (252 a year: ~40 years).
VTEXP_DAYS = Bound(Decimal(0), Decimal(10_000), "a time to expiry in days")
# Timestamps inside files (TT dateTime, nanoseconds since the epoch; expirations).
TIME_MIN = datetime(2000, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)
# Any number longer than this many characters is refused before it is read:
# Python's int() of 4,300+ digits raises, and no real value needs 40.
NUMBER_TEXT_MAX = 40


@dataclass(frozen=True)
class FileLimits:
    """Per feed: the biggest file and the most rows (instruments, items) accepted."""

    max_bytes: int
    max_rows: int


# Real files: spot risk ~500 rows / ~50 KB (a chunk a sixteenth of that), vtexp
# ~20 rows, TT positions and orders tens to hundreds of items, one instrument.
# The spot-risk bound also keeps a file's history item under DynamoDB's 400 KB.
FILE_LIMITS: dict[Feed, FileLimits] = {
    Feed.SPOT_RISK: FileLimits(max_bytes=2 * 1024 * 1024, max_rows=4_000),
    Feed.VTEXP: FileLimits(max_bytes=256 * 1024, max_rows=1_000),
    Feed.TT_POSITIONS: FileLimits(max_bytes=4 * 1024 * 1024, max_rows=5_000),
    Feed.TT_ORDERS: FileLimits(max_bytes=8 * 1024 * 1024, max_rows=10_000),
    Feed.TT_INSTRUMENTS: FileLimits(max_bytes=256 * 1024, max_rows=100),
}

# DynamoDB refuses an item over 400 KB; the snapshot item must fit with room
# for its keys and attributes, or nothing of the file is written anywhere.
HISTORY_ITEM_MAX_BYTES = 380 * 1024
