"""The fast constructor for frozen records gives the very records the
dataclass would, or steps aside when it cannot."""

from __future__ import annotations

import copy
import dataclasses
from decimal import Decimal

import pytest

from feeds.parsers.base import record_factory
from feeds.records import SpotRiskRow


@dataclasses.dataclass(frozen=True, slots=True)
class Quote:
    key: str
    bid: Decimal | None
    size: int = 1
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)


def test_it_builds_an_equal_frozen_record_with_the_same_defaults():
    built = record_factory(Quote)("ZN", Decimal("110.5"))
    assert type(built) is Quote
    assert built == Quote("ZN", Decimal("110.5"))
    assert hash(built) == hash(Quote("ZN", Decimal("110.5")))
    assert copy.deepcopy(built) == built
    assert dataclasses.replace(built, size=2) == Quote("ZN", Decimal("110.5"), size=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.bid = None  # type: ignore[misc]


def test_it_uses_the_dataclass_itself_when_post_init_must_run():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        price: Decimal

        def __post_init__(self) -> None:
            if not self.price.is_finite():
                raise ValueError(self.price)

    assert record_factory(Checked) is Checked


def test_it_uses_the_dataclass_itself_without_slots():
    @dataclasses.dataclass(frozen=True)
    class Plain:
        price: Decimal

    assert record_factory(Plain) is Plain


def test_spot_risk_rows_get_the_fast_constructor():
    # If SpotRiskRow changes so that the fast path steps aside, parsing a
    # 500-row file slows down by about a millisecond: know about it.
    assert record_factory(SpotRiskRow) is not SpotRiskRow
