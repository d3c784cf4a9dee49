"""Shared plumbing with no product knowledge: AWS and Redis clients, EMF metric
lines, loop liveness, safe redirects, the worker's heap.

Every app may import ``lib``; ``lib`` imports no app (an import-linter contract
in ``make lint`` says so), so nothing here may name a feed, a key or a page.
"""
