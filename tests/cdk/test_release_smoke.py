"""The release's smoke test waits for /readyz through the ALB, then gives up."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from deploy.cdk.release import readyz_wait, services_rollback


class _Site(BaseHTTPRequestHandler):
    answers: list[int] = []

    def do_GET(self) -> None:
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve(answers: list[int]) -> ThreadingHTTPServer:
    _Site.answers = answers
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_it_passes_once_readyz_answers_200_after_503s() -> None:
    server = _serve([503, 503])
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        ready, seen = readyz_wait(url, within_s=5, every_s=0.01)
    finally:
        server.shutdown()
    assert (ready, seen) == (True, "HTTP 200")


def test_it_fails_with_what_it_saw_when_the_site_never_gets_ready() -> None:
    server = _serve([503] * 1000)
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        ready, seen = readyz_wait(url, within_s=0.2, every_s=0.05)
    finally:
        server.shutdown()
    assert (ready, seen) == (False, "HTTP 503")


def test_rollback_points_each_service_back_at_its_recorded_task_definition() -> None:
    calls: list[dict[str, str]] = []

    class Ecs:
        def update_service(self, **kwargs: str) -> None:
            calls.append(kwargs)

    previous = {"frgm-dev-web": "arn:td/web:7", "frgm-dev-worker": "arn:td/worker:7"}
    services_rollback(Ecs(), {"ClusterName": "frgm-dev"}, previous)
    assert calls == [
        {"cluster": "frgm-dev", "service": "frgm-dev-web", "taskDefinition": "arn:td/web:7"},
        {"cluster": "frgm-dev", "service": "frgm-dev-worker", "taskDefinition": "arn:td/worker:7"},
    ]
