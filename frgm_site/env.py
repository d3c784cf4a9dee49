"""Read configuration from the environment, failing loudly on bad values.

Every helper accepts ``NAME_FILE`` (a path whose content is the value) so that
secrets can be mounted as files instead of passed as plain variables.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed."""


_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off"}


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE points at {file_path!r}, which cannot be read") from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{name} is not set and has no default in this mode")
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
    raise ConfigError(f"{name}={value!r} is not a boolean: use one of 1/0, true/false, on/off")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None


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
            raise ConfigError(f"{name} is not set and has no default in this mode")
        return list(default)
    networks = []
    for item in items:
        if item == "*":
            raise ConfigError(f"{name}: '*' would trust anyone; name the networks")
        try:
            networks.append(str(ipaddress.ip_network(item)))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or network") from None
    return networks
