"""Module-level functions the compute-process tests send to the child (by name)."""

from __future__ import annotations

import os
import time

from django.conf import settings


def whoami() -> int:
    return os.getpid()


def setting_of(name: str) -> object:
    return getattr(settings, name, "<unset>")


def sleep_then_whoami(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def refuse(message: str) -> None:
    raise LookupError(message)


def frozen_objects() -> int:
    """Objects the child's garbage collector no longer walks (``gc.freeze``)."""
    import gc

    return gc.get_freeze_count()
