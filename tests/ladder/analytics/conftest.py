"""Analytics tests reuse the ingest fixtures to put sample files through the real
pipeline (Redis state, DynamoDB history)."""

from __future__ import annotations

from tests.feeds.ingest.conftest import feed_queue  # noqa: F401 - a fixture, used by name
