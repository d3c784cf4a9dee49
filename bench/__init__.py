"""Benchmarks: ``python -m bench.ingest`` (make bench-ingest) and friends.

Each benchmark starts its own private stack on free ports and stops it at the end.
"""
