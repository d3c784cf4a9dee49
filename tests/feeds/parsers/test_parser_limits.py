"""The parsers alone refuse every out-of-range, oversized, ambiguous or cut file
of the hostile corpus with the reason ops reads (the pipeline test runs the
same corpus end to end; "from the future" is the pipeline's, not a parser's)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from feeds import limits
from feeds.parsers import ParseError, file_parse

HOSTILE = Path(__file__).resolve().parents[2] / "samples" / "hostile"
EXPECTED: dict[str, dict[str, str]] = json.loads((HOSTILE / "expected.json").read_text())
PARSER_CASES = sorted(
    name for name, case in EXPECTED.items() if "from the future" not in case.get("reason", "")
)


@pytest.mark.parametrize("name", PARSER_CASES)
def test_each_hostile_file_is_refused_with_its_reason_or_read(name: str) -> None:
    case = EXPECTED[name]
    data = (HOSTILE / name).read_bytes()
    if case["expect"] == "ingested":
        assert file_parse(key=case["key"], data=data).source.key == case["key"]
        return
    with pytest.raises(ParseError) as refused:
        file_parse(key=case["key"], data=data)
    assert case["reason"] in str(refused.value)


def test_a_duplicate_name_is_refused_even_where_the_last_value_would_pass() -> None:
    body = b'{"status":"Error","status":"Ok","lastPage":"true","positions":[]}'
    with pytest.raises(ParseError, match="the name 'status' appears twice"):
        file_parse(key="tt/positions/2025-07-21/positions_20250721_203007.json", data=body)


def test_the_bounds_read_as_the_docs_state_them() -> None:
    assert limits.PRICE.refusal("BID 2000") == (
        "BID 2000 is out of range: a price in points is 0 to 1,000"
    )
    assert limits.TICK_SIZE.holds(Decimal(1) / 256)
    assert not limits.TICK_SIZE.holds(Decimal(1) / 2048)
    assert limits.POSITION.holds(-1_000_000)
    assert not limits.POSITION.holds(1_000_001)
