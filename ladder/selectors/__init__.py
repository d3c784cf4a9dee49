"""Read-only views of the latest state for the ladder and spot-risk pages and the API.

Plain functions over ``feeds.selectors`` (the feeds read-side API): nothing here
writes. Each returns everything one page or one API call shows, so a page, the
JSON API and the live snapshot can never disagree about a number.

Conventions:

- Prices and money stay ``Decimal``; Greeks are the floats the worker derived.
- "No data yet" is a state, not an error: the views carry a ``message`` and
  an empty body (``ladder is None``, no groups) when Redis holds nothing.
- Spot-risk totals are position-weighted sums; a row with no Greeks (no
  price, no vtexp, an unsolvable vol) contributes nothing and is counted in
  ``missing`` when it has a position, so a total never hides a gap as a zero.
  A total is ``None`` when no row of its group could contribute at all.
"""

from ladder.selectors.common import FeedAge, decimal_text, feed_ages
from ladder.selectors.risk import (
    FUTURE_GROUP,
    GREEKS,
    SPOT_RISK_FEEDS,
    ExpiryGroup,
    SpotRiskLine,
    SpotRiskView,
    Totals,
    expiry_date,
    line_from_row,
    spot_risk_snapshot,
    totals_of,
)
from ladder.selectors.scenario import (
    DEFAULT_TICKS,
    LADDER_FEEDS,
    MAX_TICKS,
    BookRow,
    InstrumentChoice,
    LadderHeader,
    LadderView,
    UnknownInstrument,
    ladder_snapshot,
    order_from_row,
    position_from_row,
)

__all__ = [
    "DEFAULT_TICKS",
    "FUTURE_GROUP",
    "GREEKS",
    "LADDER_FEEDS",
    "MAX_TICKS",
    "SPOT_RISK_FEEDS",
    "BookRow",
    "ExpiryGroup",
    "FeedAge",
    "InstrumentChoice",
    "LadderHeader",
    "LadderView",
    "SpotRiskLine",
    "SpotRiskView",
    "Totals",
    "UnknownInstrument",
    "decimal_text",
    "expiry_date",
    "feed_ages",
    "ladder_snapshot",
    "line_from_row",
    "order_from_row",
    "position_from_row",
    "spot_risk_snapshot",
    "totals_of",
]
