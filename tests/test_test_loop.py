"""``make test``'s schedule (``tests/conftest.py``) names real units of work: a module
renamed or moved would silently lose its head start and become the run's tail."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LONGEST_FIRST, SHARED_SCOPES

ROOT = Path(__file__).resolve().parents[1]


def test_every_unit_handed_out_first_exists() -> None:
    missing = [unit for unit in (*LONGEST_FIRST, *SHARED_SCOPES) if not (ROOT / unit).exists()]
    assert missing == []
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
