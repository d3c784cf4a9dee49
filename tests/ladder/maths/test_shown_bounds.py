"""The bounds of what the pages show, at their edges: the fast paths that decide them
(the leading digit's exponent, the digits counted from the text) give what counting
every digit would, and money cells read as a trader expects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ladder.formatting import MISSING, OUT_OF_RANGE, Cell, money
from ladder.numbers import decimal_is_shown
from ladder.selectors.common import decimal_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1e12", True),
        ("-1e12", True),
        ("1000000000000.01", False),  # past a trillion by a cent
        ("1e13", False),
        ("1e-30", True),
        ("1e-31", False),  # a tick this small would overflow price / tick
        ("0." + "1" * 40, True),  # 40 digits
        ("1." + "0" * 40, False),  # 41 digits, trailing zeros count
        ("-111111111111." + "1" * 28, True),  # 40 digits, a 42-character text
        ("111111111111." + "1" * 29, False),  # 41 digits
        ("0", True),
        ("-0", True),
        ("NaN", False),
        ("sNaN", False),
        ("-Infinity", False),
    ],
)
def test_a_number_is_shown_only_within_the_bounds(text: str, shown: bool) -> None:
    assert decimal_is_shown(Decimal(text)) is shown


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("100", "100"),  # normalises to 1E+2: written without the exponent
        ("1E+2", "100"),
        ("0.00", "0"),
        ("-0", "0"),
        ("1E-7", "0.0000001"),
        ("110.1250", "110.125"),
        ("-65226.5625", "-65226.5625"),
    ],
)
def test_a_decimal_is_written_plainly_and_shortest(text: str, written: str) -> None:
    assert decimal_text(Decimal(text)) == written


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("1234.565", Cell("+1,234.57", "1234.565", "num-pos")),  # half up, as accountants
        ("-1234.565", Cell("-1,234.57", "-1234.565", "num-neg")),
        ("-0.004", Cell("0.00", "-0.004")),  # rounds to nothing: no sign, no colour
        ("21466.82", Cell("+21,466.82", "21466.82", "num-pos")),
        ("1000000000000.01", OUT_OF_RANGE),
    ],
)
def test_money_cells(value: str, cell: Cell) -> None:
    assert money(Decimal(value)) == cell


def test_missing_money_is_a_dash_not_a_zero() -> None:
    assert money(None) == MISSING == Cell("—", "", "muted")
