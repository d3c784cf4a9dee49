"""``bench.book_cpu`` runs on its own stack and prints the compute CPU per update."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_prints_the_ladder_s_and_the_slide_s_cpu_per_update() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.book_cpu", "--updates", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[-3:]}
    assert set(rows) == {"ladder", "slide", "both"}
    ladder, slide, both = (float(rows[name][0]) for name in ("ladder", "slide", "both"))
    assert ladder > 0
    assert slide > 0
    assert both >= max(ladder, slide)
