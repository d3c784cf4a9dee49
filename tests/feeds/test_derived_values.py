"""What publish sends for a spot-risk row is exactly what the row's stored text says."""

from __future__ import annotations

import json
from pathlib import Path

from feeds.derive import MarketInputs, file_derive
from feeds.parsers import file_parse

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "actant"


def test_the_values_publish_sends_equal_the_canonical_text_read_back():
    spot = file_parse(
        key="actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        data=(SAMPLES / "bav_analysis_20250721_203007.csv").read_bytes(),
    )
    vtexp = file_parse(
        key="actant/vtexp/2025-07-21/vtexp_20250721_203256.csv",
        data=(SAMPLES / "vtexp_20250721_203256.csv").read_bytes(),
    )
    derived = file_derive(
        spot, market=MarketInputs(vtexp_days={r.expiry: r.days for r in vtexp.vtexp})
    )
    assert derived.values.keys() == derived.rows.keys()
    assert any(value["greeks"] for value in derived.values.values())
    for row_id, text in derived.rows.items():
        assert derived.values[row_id] == json.loads(text), row_id
