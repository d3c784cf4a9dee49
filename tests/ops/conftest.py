# The ingest fixtures (a per-test bucket, queues and table, the EMF documents logged)
# serve the ops tests too.
from tests.feeds.ingest.conftest import emf_documents, feed_queue  # noqa: F401
