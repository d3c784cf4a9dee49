"""The apps' rooms (DESIGN.md) hold: ``lint-imports`` passes on the code and fails,
naming the contract, on a tree that breaks one.

Real import-linter runs, with the contracts read from pyproject.toml, over a
throwaway tree of the same top-level packages with one offending module added.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
PYPROJECT = ROOT / "pyproject.toml"
CONFIG = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
CONTRACT_NAMES = {contract["id"]: contract["name"] for contract in CONFIG["contracts"]}

# One import each contract forbids: (contract id, module written, its source).
OFFENCES = [
    ("lib-below-everything", "lib/bad.py", "from feeds import records\n"),
    # An import inside a function is a dependency too.
    ("lib-below-everything", "lib/lazy.py", "def f():\n    import ops.services\n"),
    ("accounts-on-lib-only", "accounts/bad.py", "import ops.services\n"),
    ("feeds-below-pages", "feeds/bad.py", "from ladder import views\n"),
    ("pages-are-siblings", "ladder/bad.py", "import ops.selectors\n"),
    ("pages-are-siblings", "ops/bad.py", "from ladder import book\n"),
    ("site-only-from-entry-points", "ops/bad.py", "from frgm_site import settings\n"),
    ("site-only-from-entry-points", "ladder/bad.py", "import frgm_site.celery\n"),
    ("page-apps-below-the-tools", "ladder/bad.py", "import tests.stack\n"),
    ("devstack-on-lib-only", "devstack/bad.py", "import feeds.records\n"),
    ("cdk-reads-definitions-only", "deploy/bad.py", "import accounts.roles\n"),
]


def _lint_imports(cwd: Path, *, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", str(config)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _tree(tmp_path: Path) -> Path:
    """Every root package the contracts name, each holding the modules an
    offence imports (checked against pyproject.toml's contracts as they are)."""
    for package in CONFIG["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for module in ("feeds/records", "ops/services", "ops/selectors", "ladder/views",
                   "ladder/book", "frgm_site/settings", "frgm_site/celery",
                   "tests/stack", "accounts/roles"):  # fmt: skip
        (tmp_path / f"{module}.py").write_text("")
    return tmp_path


def test_the_code_keeps_every_contract() -> None:
    result = _lint_imports(ROOT, config=PYPROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACT_NAMES)} kept, 0 broken." in result.stdout


def test_a_clean_throwaway_tree_keeps_them_too(tmp_path: Path) -> None:
    """The baseline for the offences below: the tree alone breaks nothing."""
    tree = _tree(tmp_path)
    result = _lint_imports(tree, config=PYPROJECT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("contract", "module", "source"), OFFENCES)
def test_an_import_across_a_wall_fails_lint_naming_the_contract(
    tmp_path: Path, contract: str, module: str, source: str
) -> None:
    tree = _tree(tmp_path)
    (tree / module).write_text(source)
    result = _lint_imports(tree, config=PYPROJECT)
    assert result.returncode != 0
    name = " ".join(CONTRACT_NAMES[contract].split())
    assert f"{name} BROKEN" in " ".join(result.stdout.split())
    assert f"Contracts: {len(CONTRACT_NAMES) - 1} kept, 1 broken." in result.stdout
    offender = module.removesuffix(".py").replace("/", ".")
    assert f"{offender} -> " in result.stdout  # the line to fix is named
