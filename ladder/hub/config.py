"""The hub's fixed choices (which feeds it hears).

Its tunable ``FRGM_LIVE_*`` settings are declared, with their defaults, in
``frgm_site/settings.py`` and read from ``django.conf.settings`` when used (so a
test's ``override_settings`` reaches a running hub).
"""

from __future__ import annotations

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
