"""scripts/require-system-packages: installs what is missing as root, starts no system
service doing so (Debian's redis-server would run a system Redis on 6379; the product
starts its own), and tells anyone else exactly what to install.

apt-get and id are stand-ins on PATH: a real install needs root, the network and
minutes. The stand-in apt-get asks the policy, as a package's postinst does through
invoke-rc.d or deb-systemd-invoke, whether it may start its service.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "require-system-packages"
MISSING = "frgm-no-such-command:redis-server"

APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$LOG"
if [ "$1" = install ]; then
  "$POLICY" redis-server start
  echo "start redis-server: $?" >> "$LOG"
fi
"""


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, object]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in {"apt-get": APT_GET, "id": '#!/bin/sh\necho "$UID_SEEN"\n'}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    policy = tmp_path / "policy-rc.d"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "LOG": str(tmp_path / "log"),
        "POLICY": str(policy),
        "FRGM_POLICY_RC_D": str(policy),
        "UID_SEEN": "0",
    }
    return {"env": env, "policy": policy, "log": tmp_path / "log"}


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), MISSING], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_root_installs_without_starting_the_packages_service(machine) -> None:
    result = _run(machine["env"])
    assert result.returncode == 0, result.stderr
    log = machine["log"].read_text()
    assert "apt-get install -y -qq --no-install-recommends redis-server" in log
    assert "start redis-server: 101" in log  # 101: action forbidden by policy
    assert not machine["policy"].exists()  # the machine's services are as they were after


def test_a_policy_already_in_place_is_left_alone(machine) -> None:
    machine["policy"].write_text("#!/bin/sh\nexit 104\n")  # the machine's own: "allowed"
    machine["policy"].chmod(0o755)
    assert _run(machine["env"]).returncode == 0
    assert "start redis-server: 104" in machine["log"].read_text()
    assert machine["policy"].read_text() == "#!/bin/sh\nexit 104\n"


def test_anyone_else_is_told_exactly_what_to_install(machine) -> None:
    result = _run({**machine["env"], "UID_SEEN": "1000"})
    assert result.returncode == 1
    assert result.stderr == (
        "Missing: frgm-no-such-command.\n"
        "Install them, then run the command again. On Debian/Ubuntu:\n"
        "    sudo apt-get install redis-server\n"
    )
    assert not machine["log"].exists()
