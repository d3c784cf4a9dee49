"""The feed server's side of the data path: a producer that loses nothing.

``python -m feeds.push --watch DIR --bucket NAME`` (or ``manage.py feed_push``).
"""
