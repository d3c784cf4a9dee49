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
