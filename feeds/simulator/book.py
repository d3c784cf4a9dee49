"""The desk's options book as Actant shows it: a dozen positions near the money.

The samples' book is flat, which leaves the spot-risk totals at zero and a
newcomer nothing to look at; a ZN options desk holds a few hundred lots
around the money in the near expiries and trades them now and then. Each
trade moves one line by a few lots or opens a new one; a new trading date
takes the book as its start of day and drops the expiries that left the
chain.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

_LINES = 12  # positions opened at start
_SIZES = (5, 10, 15, 20, 25, 40, 50)
_TRADE_SIZES = (1, 2, 5, 10)


@dataclass(frozen=True, slots=True)
class BookLine:
    position: int
    sod_position: int


class OptionBook:
    """Positions by Actant key; ``trade()`` is called once a simulated second."""

    def __init__(
        self,
        *,
        rng: random.Random,
        listed: Iterable[str],
        near: Iterable[str],
        trade_probability: float,
    ) -> None:
        self._rng = rng
        self._trade_probability = trade_probability
        self._near: list[str] = []
        self.positions: dict[str, int] = {}
        self.sod: dict[str, int] = {}
        self.relist(listed=listed, near=near)
        for key in rng.sample(self._near, min(_LINES, len(self._near))):
            self.positions[key] = rng.choice(_SIZES) * rng.choice((1, 1, -1))
        self.sod = dict(self.positions)

    def relist(self, *, listed: Iterable[str], near: Iterable[str]) -> None:
        """A new trading date's chain: lines in options no longer listed expired."""
        keep = set(listed)
        self._near = sorted(near)
        self.positions = {k: v for k, v in self.positions.items() if k in keep}
        self.sod = dict(self.positions)

    def trade(self) -> None:
        if not self._near or self._rng.random() >= self._trade_probability:
            return
        held = sorted(self.positions)
        opening = not held or self._rng.random() < 0.2
        key = self._rng.choice(self._near) if opening else self._rng.choice(held)
        qty = self._rng.choice(_TRADE_SIZES) * self._rng.choice((1, -1))
        position = self.positions.get(key, 0) + qty
        if position:
            self.positions[key] = position
        else:
            self.positions.pop(key, None)

    def line(self, key: str) -> BookLine:
        return BookLine(self.positions.get(key, 0), self.sod.get(key, 0))
