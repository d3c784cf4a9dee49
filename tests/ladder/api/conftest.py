from tests.ladder.pages.conftest import desk, feed_queue

__all__ = ["desk", "feed_queue"]
