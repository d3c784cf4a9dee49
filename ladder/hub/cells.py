"""Cells as frames carry them: formatted once, as the page formats them, and packed.

Spot-risk frames are packed (``ladder.frames``): a row is known by a short id, a
cell by its column's index, and a cell drops what its text implies.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ladder.formatting import SPOT_RISK_COLUMNS, Cell, spot_risk_cells, totals_cells
from ladder.frames import PackedCell, cell_pack
from ladder.selectors import SpotRiskLine, line_from_row, totals_of

FrameCell = list[str]  # [text as the page shows it, exact value ("" when none), tone css class]
Cells = dict[str, FrameCell]
PackedCells = dict[str, PackedCell]  # column index -> packed cell


def frame_cell(cell: Cell) -> FrameCell:
    """A ``ladder.formatting.Cell`` as the compact list a frame carries."""
    return list(cell)  # text, value, css: a Cell is a named tuple in that order


def row_frame_cells(row: Mapping[str, Any]) -> Cells:
    """One spot-risk state row as the page's cells (``data-col`` -> cell), formatted once."""
    return {col: frame_cell(cell) for col, cell in spot_risk_cells(line_from_row(row)).items()}


def spot_risk_totals(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Cells]:
    """Position-weighted Greeks per expiry group and for the portfolio, as cells."""
    lines = [line_from_row(row) for row in rows.values()]
    groups: dict[str, list[SpotRiskLine]] = {}
    for line in lines:
        group = "future" if line.itype == "F" or not line.expiry else line.expiry
        groups.setdefault(group, []).append(line)
    totals = {
        group: {col: frame_cell(c) for col, c in totals_cells(totals_of(members)).items()}
        for group, members in groups.items()
    }
    totals["portfolio"] = {col: frame_cell(c) for col, c in totals_cells(totals_of(lines)).items()}
    return totals


def changed_cells(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {col: value for col, value in new.items() if old.get(col) != value}


def shown_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Cells whose text or tone changed; an exact value that moved beyond the shown
    places (a theo's seventh decimal as time passes) is not worth a byte to a browser.
    Every file nudged every theo, vol and Greek, so spot-risk deltas carried all 500
    rows; this keeps them to what a trader can see change. (A browser's data-value,
    used for sorting, may then lag the exact value below the shown places; a
    snapshot is exact.) Comparing with the previous exact cells is enough: their
    text is what the browsers show, or it would have been sent."""
    return {
        col: cell
        for col, cell in new.items()
        if (shown := old.get(col)) is None or shown[0] != cell[0] or shown[2] != cell[2]
    }


@functools.cache
def spot_risk_columns() -> tuple[str, ...]:
    """The spot-risk table's columns, in the page's order (the key first)."""
    return tuple(col for col, _, _ in SPOT_RISK_COLUMNS)


@functools.cache
def _column_index() -> dict[str, str]:
    return {col: str(i) for i, col in enumerate(spot_risk_columns())}


def packed_row(cells: Cells, *, shown: bool = False) -> list[PackedCell]:
    """All of a row's cells, packed, in column order."""
    return [cell_pack(cells[col], shown=shown) for col in spot_risk_columns()]


def packed_cells(cells: Cells, *, shown: bool = False) -> PackedCells:
    """Some cells of a row (or a totals line), packed, by column index."""
    index = _column_index()
    return {index[col]: cell_pack(cell, shown=shown) for col, cell in cells.items()}
