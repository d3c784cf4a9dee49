"""A chunk batch is one snapshot split over MM files, each instrument exactly once."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable

Rows = Callable[[bytes], list[list[str]]]
CHUNK = re.compile(r"bav_analysis_(\d{8}_\d{6})_chunk_(\d{2})_of_(\d{2})\.csv$")


def batches(files) -> dict[str, dict[int, bytes]]:
    found: dict[str, dict[int, bytes]] = defaultdict(dict)
    for _, f in files:
        match = CHUNK.search(f.key)
        if match:
            assert match[3] == "16"
            found[match[1]][int(match[2])] = f.body
    return found


def test_a_complete_batch_holds_every_instrument_exactly_once(run, rows_of: Rows) -> None:
    _, files = run(20, layout="chunked", chunk_drop_probability=0)
    assert batches(files)
    for stamp, chunks in batches(files).items():
        assert sorted(chunks) == list(range(1, 17)), stamp
        keys = Counter(row[0] for body in chunks.values() for row in rows_of(body)[1:])
        assert set(keys.values()) == {1}
        assert "XCME.ZN" in keys
        assert "XCME.ZN.SEP25" in keys


def test_a_batch_carries_the_same_rows_as_the_single_file_of_that_moment(
    run, rows_of: Rows
) -> None:
    # Same seed and clock: the layout changes only how the snapshot is written.
    _, single = run(0, layout="single")
    _, chunked = run(0, layout="chunked", chunk_drop_probability=0)
    single_rows = {
        tuple(r[:9]) for _, f in single if "spot-risk" in f.key for r in rows_of(f.body)[2:]
    }
    chunk_rows = {tuple(r) for _, f in chunked if "spot-risk" in f.key for r in rows_of(f.body)[1:]}
    assert single_rows == chunk_rows


def test_chunks_are_near_equal_in_size_and_the_future_leads_the_first(run, rows_of: Rows) -> None:
    _, files = run(0, layout="chunked", chunk_drop_probability=0)
    (chunks,) = batches(files).values()
    sizes = [len(rows_of(chunks[n])) - 1 for n in sorted(chunks)]
    assert max(sizes) - min(sizes) <= 1
    assert rows_of(chunks[1])[1][0] == "XCME.ZN.SEP25"


def test_a_batch_sometimes_misses_a_chunk_as_in_production(run) -> None:
    _, files = run(30, layout="chunked", chunk_drop_probability=1.0)
    found = batches(files)
    assert found
    for chunks in found.values():
        assert len(chunks) == 15  # one of the sixteen is missing; names still say _of_16


def test_all_chunks_of_a_batch_are_written_at_the_same_moment(run) -> None:
    _, files = run(10, layout="chunked")
    moments: dict[str, set[object]] = defaultdict(set)
    for moment, f in files:
        match = CHUNK.search(f.key)
        if match:
            moments[match[1]].add(moment)
    assert all(len(m) == 1 for m in moments.values())


def test_both_layouts_alternate_single_files_and_batches(run) -> None:
    _, files = run(20, layout="both")
    kinds: list[str] = []
    for _, f in files:
        if "spot-risk" in f.key:
            kind = "chunked" if "_chunk_" in f.key else "single"
            if not kinds or kinds[-1] != kind or kind == "single":
                kinds.append(kind)
    assert kinds[:4] == ["single", "chunked", "single", "chunked"]
