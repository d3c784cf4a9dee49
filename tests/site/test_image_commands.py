"""Each command the image runs starts from the production lock alone.

A clean virtualenv gets ``requirements/prod.lock`` (hashes checked, nothing
else), and a copy of exactly what the Dockerfile copies: no devstack, no
tests, no moto. If product code ever imports a development-only package, a
container would die at start-up in AWS; here a test fails first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.processes import free_port
from devstack.standins import Stack
from feeds.sqs_consumer import WORKER_LOOPS
from ops.scheduler import SCHEDULER_LOOP

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
IMAGE_TREES = ("lib", "frgm_site", "feeds", "ladder", "ops", "accounts")
LOCAL_ONLY = ("moto", "flask", "devstack", "pytest", "aws_cdk")


def _image_venv(lock: Path) -> Path:
    """A clean virtualenv with ``lock`` installed as the Dockerfile installs it (its own
    pip, hashes checked, nothing else), built once per lock and Python.

    The build (a venv, then pip unpacking and compiling ~480 MB) took 15 s on a quiet
    machine and 30-210 s beside the rest of ``make test``; the commands under test
    only read it (``PYTHONDONTWRITEBYTECODE``). So it is kept in ``.venv`` under the
    lock's hash: another lock or Python is another venv, ``make clean`` removes them,
    and a build cut short is built again (``.complete`` is written last)."""
    key = hashlib.sha256(lock.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = ROOT / ".venv" / "image-venvs" / key
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{key}.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one build at a time, for runs side by side
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [
                    str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "--require-hashes", "--no-deps",
                    "-r", str(lock),
                ],
                check=True,
            )  # fmt: skip
            (venv / ".complete").write_text(f"{lock.name} {sys.version}\n")
    return venv


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the venv's python, the app folder) as the Dockerfile lays them out."""
    python = _image_venv(ROOT / "requirements" / "prod.lock") / "bin" / "python"
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    shutil.copy(ROOT / "manage.py", app / "manage.py")
    for tree in IMAGE_TREES:
        shutil.copytree(ROOT / tree, app / tree, ignore=shutil.ignore_patterns("__pycache__"))
    return python, app


def _env(app: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TZ"}}
    return {**keep, "PYTHONPATH": str(app), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def _prod_env(app: Path, tmp: Path, port: int) -> dict[str, str]:
    return _env(
        app,
        FRGM_ENV="prod",
        DJANGO_SECRET_KEY="image-test-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        FRGM_STATE_REDIS_URL="rediss://127.0.0.1:1/0",
        FRGM_MESSAGING_REDIS_URL="rediss://127.0.0.1:1/0",
        FRGM_TRUSTED_PROXIES="127.0.0.1/32",
        FRGM_PORT=str(port),
        FRGM_PROCESS="web",
    )


def _local_env(app: Path, tmp: Path, stack: Stack) -> dict[str, str]:
    return _env(
        app,
        FRGM_ENV="local",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        FRGM_STATE_REDIS_URL=stack.state_url,
        FRGM_MESSAGING_REDIS_URL=stack.messaging_url,
        AWS_ENDPOINT_URL=stack.aws_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        FRGM_LIVENESS_DIR=str(tmp / "liveness"),
        # A short long-poll: the worker's SIGTERM at teardown waits for the poll in flight.
        FRGM_CONSUMER_WAIT_S="1",
    )


def _stamped(tmp: Path, *loops: str) -> Callable[[], bool]:
    """Each of ``loops`` has written its liveness stamp: only then is asking the
    health check (a process of its own each time) worth it."""
    return lambda: all((tmp / "liveness" / loop).exists() for loop in loops)


def _dockerfile_collectstatic_env() -> dict[str, str]:
    """The variables the Dockerfile's collectstatic step sets on its RUN line."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    run = next(
        line for line in text.splitlines() if line.startswith("RUN") and "collectstatic" in line
    )
    return dict(re.findall(r"([A-Z_]+)=(\S+)", run.split("python", 1)[0]))


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - a URL of our own
        url, headers={"X-Forwarded-Proto": "https", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:  # urllib counts a 304 as an error
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
    except OSError:  # nothing listens yet
        return 0, {}, b""


def _container(python: Path, app: Path, env: dict[str, str], *args: str) -> list[str]:
    return [str(python), "-m", "frgm_site.container", *args]


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until(check, *, within_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} did not happen within {within_s} s")


def test_the_production_lock_holds_none_of_the_local_stand_ins(image) -> None:
    python, app = image
    for module in LOCAL_ONLY:
        found = subprocess.run(
            [str(python), "-c", f"import importlib.util as u; print(u.find_spec('{module}'))"],
            capture_output=True,
            text=True,
            cwd=app,
            env=_env(app),
            check=True,
        )
        assert found.stdout.strip() == "None", f"{module} is importable in the image"


def test_migrate_runs_in_production_mode(image, tmp_path) -> None:
    python, app = image
    env = _prod_env(app, tmp_path, free_port())
    done = subprocess.run(
        _container(python, app, env, "migrate"),
        cwd=app, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "db.sqlite3").stat().st_size > 0


def test_web_starts_in_production_mode_and_its_health_check_passes(
    image, tmp_path, running
) -> None:
    python, app = image
    port = free_port()
    env = _prod_env(app, tmp_path, port)
    running.append(subprocess.Popen(_container(python, app, env, "web"), cwd=app, env=env))

    def healthz() -> bool:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
                return answer.status == 200
        except OSError:
            return False

    _wait_until(healthz, within_s=60, what="web answering /healthz")
    health = subprocess.run(
        _container(python, app, env, "health"), cwd=app, env=env, timeout=30, check=False
    )
    assert health.returncode == 0


def test_worker_starts_consumes_and_its_health_check_passes(
    image, tmp_path, running, local_stack
) -> None:
    python, app = image
    env = {**_local_env(app, tmp_path, local_stack), "FRGM_PROCESS": "worker"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        running.append(
            subprocess.Popen(
                _container(python, app, env, "worker"),
                cwd=app,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )

    def healthy() -> bool:
        check = subprocess.run(
            _container(python, app, env, "health"), cwd=app, env=env, capture_output=True
        )
        return check.returncode == 0

    _wait_until(_stamped(tmp_path, *WORKER_LOOPS), within_s=90, what="the worker's loops turning")
    _wait_until(healthy, within_s=30, what="the worker's health check (its loops turning)")
    assert running[0].poll() is None, log.read_text()[-2000:]


def test_scheduler_runs_and_its_health_check_passes(image, tmp_path, running, local_stack) -> None:
    python, app = image
    env = {**_local_env(app, tmp_path, local_stack), "FRGM_PROCESS": "scheduler"}
    migrated = subprocess.run(
        _container(python, app, env, "migrate"), cwd=app, env=env, capture_output=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    running.append(subprocess.Popen(_container(python, app, env, "scheduler"), cwd=app, env=env))

    def healthy() -> bool:
        check = subprocess.run(
            _container(python, app, env, "health"), cwd=app, env=env, capture_output=True
        )
        return check.returncode == 0

    _wait_until(
        _stamped(tmp_path, SCHEDULER_LOOP), within_s=90, what="the scheduler's loop turning"
    )
    _wait_until(healthy, within_s=30, what="the scheduler's health check passing")
    assert running[0].poll() is None


def test_collectstatic_as_the_dockerfile_runs_it_feeds_the_web_a_cacheable_bundle(
    image, tmp_path, running
) -> None:
    python, app = image
    env = _env(app, **_dockerfile_collectstatic_env())
    collected = subprocess.run(
        [str(python), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=app, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr[-2000:]
    static_root = app / "staticfiles"
    hashed = json.loads((static_root / "staticfiles.json").read_text())["paths"][
        "plotly/plotly.min.js"
    ]
    assert hashed != "plotly/plotly.min.js"
    assert (static_root / f"{hashed}.gz").is_file(), "no compressed variant baked in"

    port = free_port()
    env = _prod_env(app, tmp_path, port)
    running.append(subprocess.Popen(_container(python, app, env, "web"), cwd=app, env=env))
    base = f"http://127.0.0.1:{port}"
    _wait_until(lambda: _get(f"{base}/healthz")[0] == 200, within_s=60, what="web up")

    status, headers, body = _get(f"{base}/static/{hashed}", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["cache-control"] == "max-age=315360000, public, immutable"
    assert headers["content-encoding"] == "gzip"
    assert body == (static_root / f"{hashed}.gz").read_bytes()
    status, _, body = _get(f"{base}/static/{hashed}", **{"If-None-Match": headers["etag"]})
    assert status == 304
    assert body == b""
