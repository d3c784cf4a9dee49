"""Local stand-ins for the cloud: private Redis servers and moto's AWS server.

Used by ``make run`` (``python -m devstack``) and by the test suite, so the
tests run against the very processes a developer runs.
"""
