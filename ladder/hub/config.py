"""The hub's fixed choices (which feeds it hears) and its ``FRGM_LIVE_*`` settings."""

from __future__ import annotations

from django.conf import settings

from feeds.messages import FEED_FILES_GROUP, feed_all_group_name
from feeds.records import Feed

SUBSCRIBED_FEEDS = (
    Feed.SPOT_RISK,
    Feed.TT_POSITIONS,
    Feed.TT_ORDERS,
    Feed.VTEXP,
    Feed.TT_INSTRUMENTS,
)
# The channel-layer groups the hub joins: every feed's updates, and every file's arrival.
HUB_GROUPS = (*(feed_all_group_name(feed) for feed in SUBSCRIBED_FEEDS), FEED_FILES_GROUP)
LADDER_FEEDS = frozenset({Feed.TT_POSITIONS, Feed.TT_ORDERS, Feed.TT_INSTRUMENTS})
GROUPS_REFRESH_S = 3600.0  # re-join the groups well inside channels-redis' group expiry


def live_setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))
