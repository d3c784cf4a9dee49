"""TT positions (FEEDS.md "TT (JSON)", ``ttmonitor /position``): one object
per instrument and account with TT's own position and P&L."""

from __future__ import annotations

from feeds.feed_keys import KEY_PATTERNS
from feeds.limits import MONEY, PRICE
from feeds.parsers.base import ParseError
from feeds.parsers.tt_json import (
    Item,
    code_field,
    decimal_field,
    items_build,
    optional_text_field,
    qty_field,
    tt_items,
)
from feeds.records import Feed, FeedKey, ParsedFile, TtPosition


class TtPositionsParser:
    feed = Feed.TT_POSITIONS
    key_pattern = KEY_PATTERNS[Feed.TT_POSITIONS]

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile:
        return tt_positions_parse(data, source=source)


def tt_positions_parse(data: bytes, *, source: FeedKey) -> ParsedFile:
    file = source.key
    items, warnings = tt_items(data, file=file, array="positions", feed=Feed.TT_POSITIONS)
    positions = items_build(items, _position, file=file, array="positions")
    first: dict[tuple[str, str], int] = {}
    for index, position in enumerate(positions):
        seen = first.setdefault((position.instrument_id, position.account_id), index)
        if seen != index:
            # Two rows for one instrument and account would double the position.
            raise ParseError(
                f"positions[{index}] repeats instrument {position.instrument_id} "
                f"account {position.account_id} of positions[{seen}]",
                file=file,
                row=index,
                column="instrumentId",
            )
    return ParsedFile(
        feed=Feed.TT_POSITIONS, source=source, positions=tuple(positions), warnings=warnings
    )


def _position(item: Item) -> TtPosition:
    return TtPosition(
        instrument_id=code_field(item, "instrumentId"),
        account_id=code_field(item, "accountId"),
        net_position=qty_field(item, "netPosition", signed=True),
        sod_net_position=qty_field(item, "sodNetPos", signed=True),
        sod_price=decimal_field(item, "sodPrice", PRICE),
        avg_buy=decimal_field(item, "avgBuy", PRICE),
        avg_sell=decimal_field(item, "avgSell", PRICE),
        open_avg_price=decimal_field(item, "openAvgPrice", PRICE),
        buy_fill_qty=qty_field(item, "buyFillQty"),
        sell_fill_qty=qty_field(item, "sellFillQty"),
        buy_working_qty=qty_field(item, "buyWorkingQty"),
        sell_working_qty=qty_field(item, "sellWorkingQty"),
        pnl=decimal_field(item, "pnl", MONEY),
        realized_pnl=decimal_field(item, "realizedPnl", MONEY),
        pnl_price=decimal_field(item, "pnlPrice", PRICE),
        pnl_price_type=optional_text_field(item, "pnlPriceType"),
    )
