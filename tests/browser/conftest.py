# The ingest fixtures (a per-test bucket, queues and table) serve the browser tests too.
from tests.feeds.ingest.conftest import feed_queue  # noqa: F401
