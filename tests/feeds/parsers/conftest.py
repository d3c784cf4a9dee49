"""Fixtures for the feed parser tests: the real sample files and their S3 keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def sample() -> Callable[[str], bytes]:
    """The bytes of a file under tests/samples/, e.g. ``sample("tt/positions_response.json")``."""

    def read(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()

    return read
