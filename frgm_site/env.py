"""Read configuration from the environment, failing loudly on bad values.

Every helper accepts ``NAME_FILE`` (a path whose content is the value) so that
secrets can be mounted as files instead of passed as plain variables.

The ``env_*`` functions raise ``ConfigError``. Settings read through an
``EnvReader`` instead, whose methods of the same names record each problem
(with a stable check id) and return a safe fallback: settings then import with
any values, and ``frgm_site.checks`` reports every problem at once.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

T = TypeVar("T")


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed."""

    check_id = "frgm.E002"
    hint = "Fix the value in the environment (.env.example lists each variable and its form)."


class MissingValue(ConfigError):
    check_id = "frgm.E001"
    hint = "Set it: production has no default for it (.env.example marks it required)."


class MalformedValue(ConfigError):
    check_id = "frgm.E002"


class UnreadableFile(ConfigError):
    check_id = "frgm.E003"
    hint = "Point NAME_FILE at a file this process can read, or give NAME itself."


_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off"}


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise UnreadableFile(
                f"{name}_FILE points at {file_path!r}, which cannot be read"
            ) from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise MissingValue(f"{name} is not set and has no default in this mode")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise MalformedValue(f"{name}={value!r} is not a boolean: use one of 1/0, true/false, on/off")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise MalformedValue(f"{name}={value!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise MalformedValue(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str, *, local_default: str | None, production: bool) -> str:
    """A secret: required in production (no default there), defaulted locally."""
    return env_str(name, None if production else local_default)


def env_networks(name: str, default: list[str] | None) -> list[str]:
    """Comma-separated addresses or CIDR networks (``10.0.0.0/24``).

    ``default=None`` makes the variable required. ``*`` is refused: it would trust
    any sender, which is what a list of proxies exists to prevent. So is a network
    with host bits set (``10.0.0.7/24``), which uvicorn would silently ignore.
    """
    items = env_list(name, [])
    if not items:
        if default is None:
            raise MissingValue(f"{name} is not set and has no default in this mode")
        return list(default)
    networks = []
    for item in items:
        if item == "*":
            raise MalformedValue(f"{name}: '*' would trust anyone; name the networks")
        try:
            networks.append(str(ipaddress.ip_network(item)))
        except ValueError:
            raise MalformedValue(f"{name}: {item!r} is not an IP address or network") from None
    return networks


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    """One of ``choices`` (compared case-sensitively, as the code compares them)."""
    value = env_str(name, default)
    allowed = list(choices)
    if value not in allowed:
        raise MalformedValue(f"{name}={value!r}: use one of {', '.join(allowed)}")
    return value


def env_url(name: str, default: str | None, *, schemes: Iterable[str]) -> str:
    """A URL with one of ``schemes`` and a host. Its text never reaches the message:
    a connection URL holds a password."""
    value = env_str(name, default)
    allowed = sorted(schemes)
    if value == "":
        return value
    try:
        parsed = urlparse(value)
        port_ok = parsed.port is None or parsed.port > 0
    except ValueError:
        port_ok = False
        parsed = urlparse("")
    if parsed.scheme not in allowed or not parsed.hostname or not port_ok:
        starts = " or ".join(f"{scheme}://" for scheme in allowed)
        raise MalformedValue(
            f"{name} is not a URL starting {starts} with a host (and a valid port)"
        )
    return value


@dataclass(frozen=True)
class ConfigProblem:
    """A value settings could not use: reported by ``frgm_site.checks`` with its id."""

    check_id: str
    message: str
    hint: str


class EnvReader:
    """The ``env_*`` helpers, collecting problems instead of raising them.

    Each method returns ``fallback`` (default: the variable's default) for a bad or
    missing value; the fallback is a safe one (no secret anyone knows, nothing
    trusted), and the problem stops every process at start-up through the checks."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def problem(self, error: ConfigError) -> None:
        problem = ConfigProblem(error.check_id, str(error), error.hint)
        if problem not in self.problems:  # a value read twice is one problem
            self.problems.append(problem)

    def read(self, reader: Callable[[], T], fallback: T) -> T:
        """``reader()``, or ``fallback`` with the problem recorded."""
        try:
            return reader()
        except ConfigError as error:
            self.problem(error)
            return fallback

    def env_str(self, name: str, default: str | None = None, *, fallback: str = "") -> str:
        return self.read(lambda: env_str(name, default), fallback if default is None else default)

    def env_bool(self, name: str, default: bool) -> bool:
        return self.read(lambda: env_bool(name, default), default)

    def env_int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.read(lambda: env_int(name, default), default)
        if minimum is not None and value < minimum:
            self._below(name, value, minimum)
            return default
        return value

    def env_float(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self.read(lambda: env_float(name, default), default)
        if minimum is not None and value < minimum:
            self._below(name, value, minimum)
            return default
        return value

    def env_list(self, name: str, default: list[str]) -> list[str]:
        return self.read(lambda: env_list(name, default), default)

    def env_secret(
        self, name: str, *, local_default: str | None, production: bool, fallback: str
    ) -> str:
        return self.read(
            lambda: env_secret(name, local_default=local_default, production=production), fallback
        )

    def env_networks(self, name: str, default: list[str] | None) -> list[str]:
        return self.read(lambda: env_networks(name, default), [])  # trust no proxy

    def env_choice(self, name: str, default: str, choices: Iterable[str], *, fallback: str) -> str:
        allowed = list(choices)
        return self.read(lambda: env_choice(name, default, allowed), fallback)

    def env_url(
        self, name: str, default: str | None, *, schemes: Iterable[str], fallback: str
    ) -> str:
        allowed = list(schemes)
        return self.read(lambda: env_url(name, default, schemes=allowed), fallback)

    def _below(self, name: str, value: float, minimum: float) -> None:
        self.problem(MalformedValue(f"{name}={value!r} is below its minimum, {minimum!r}"))
