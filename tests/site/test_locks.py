"""The two locks: production (the image) and development (make), hashes on every
pin, agreeing with constraints.txt, and the local stand-ins in development only."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", re.MULTILINE)


def _pins(path: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall(path.read_text())}


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements} - {"frgm-live"}


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_pin_carries_a_hash() -> None:
    for lock in ("prod.lock", "dev.lock"):
        text = (ROOT / "requirements" / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
        for entry in entries:
            if PIN.match(entry):
                assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"


def test_production_lock_has_the_products_dependencies_and_no_stand_in(project) -> None:
    pins = _pins(ROOT / "requirements" / "prod.lock")
    assert _names(project["dependencies"]) <= set(pins)
    assert not _names(project["optional-dependencies"]["local"]) & set(pins)
    assert "pytest" not in pins


def test_development_lock_has_everything(project) -> None:
    pins = _pins(ROOT / "requirements" / "dev.lock")
    wanted = _names(project["dependencies"])
    for extra in ("local", "dev"):
        wanted |= _names(project["optional-dependencies"][extra])
    assert wanted <= set(pins)


def test_the_locks_agree_with_constraints() -> None:
    constraints = _pins(ROOT / "constraints.txt")
    for lock in ("prod.lock", "dev.lock"):
        for name, version in _pins(ROOT / "requirements" / lock).items():
            if name in constraints:
                assert constraints[name] == version, f"{lock}: {name} {version} != constraints"
