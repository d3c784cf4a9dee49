"""The future walks on the 1/64 grid, and a seed fixes every byte."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from feeds.simulator.market import TICK_DECIMAL, FutureWalk

Rows = Callable[[bytes], list[list[str]]]


def future_bids(files, rows_of: Rows) -> list[Decimal]:
    bids = []
    for _, f in files:
        first_chunk = f.key.endswith("_chunk_01_of_16.csv")
        if first_chunk or ("spot-risk" in f.key and "_chunk_" not in f.key):
            future = next(r for r in rows_of(f.body) if len(r) > 4 and r[4] == "F")
            bids.append(Decimal(future[1]))
    return bids


def test_the_walk_moves_over_a_few_minutes(run, rows_of: Rows) -> None:
    _, files = run(240, step=1.0, chunk_drop_probability=0, spot_risk_rows=20)
    bids = future_bids(files, rows_of)
    assert len(bids) > 100
    assert len(set(bids)) >= 4


def test_the_walk_stays_on_the_grid_and_moves_at_most_two_ticks_a_second() -> None:
    walk = FutureWalk(rng=random.Random(3), start=Decimal("110.2"), move_probability=0.5)
    previous = walk.bid
    for _ in range(5000):
        walk.step()
        assert (walk.bid / TICK_DECIMAL) == (walk.bid / TICK_DECIMAL).to_integral_value()
        assert abs(walk.bid - previous) <= 2 * TICK_DECIMAL
        assert walk.ask - walk.bid == TICK_DECIMAL
        previous = walk.bid


def test_the_walk_leans_back_toward_where_it_opened() -> None:
    walk = FutureWalk(rng=random.Random(5), start=Decimal("111"), move_probability=1.0)
    farthest = Decimal(0)
    for _ in range(50_000):  # ~14 hours of seconds at full activity
        walk.step()
        farthest = max(farthest, abs(walk.bid - Decimal(111)))
    assert farthest < 3  # points: strikes listed around the open stay relevant


def test_the_same_seed_and_clock_give_the_same_files(simulate) -> None:
    first = simulate(30, seed=11)[1]
    second = simulate(30, seed=11)[1]
    assert [(f.key, f.body) for _, f in first] == [(f.key, f.body) for _, f in second]


def test_another_seed_gives_another_market(run) -> None:
    first = {f.key: f.body for _, f in run(30, seed=11)[1]}
    other = {f.key: f.body for _, f in run(30, seed=12)[1]}
    shared = set(first) & set(other)
    assert any(first[key] != other[key] for key in shared if "spot-risk" in key)
