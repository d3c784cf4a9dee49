"""The tests' stand-ins are their own even when a neighbour takes the port first.

Under pytest-xdist several workers start stacks at once: a port ``free_port``
found can be bound by another worker's server before ours binds it.
"""

from __future__ import annotations

import itertools

import devstack.standins as stack_module
from devstack.processes import free_port, moto_start


def test_a_port_a_neighbour_took_first_is_not_used(tmp_path, monkeypatch) -> None:
    neighbour = moto_start(port=free_port(), log_dir=tmp_path / "neighbour")
    # state and messaging Redis get free ports; moto is offered the neighbour's
    offered = itertools.chain([free_port(), free_port(), neighbour.port], iter(free_port, None))
    monkeypatch.setattr(stack_module, "free_port", lambda: next(offered))
    try:
        stack = stack_module.stack_start(tmp_path / "ours")
        try:
            assert stack.aws.port != neighbour.port
            assert stack.aws.process.poll() is None
            log = (tmp_path / "ours" / "moto.log").read_text()
            assert f"Running on http://127.0.0.1:{stack.aws.port}" in log
        finally:
            stack.stop()
    finally:
        neighbour.stop()
