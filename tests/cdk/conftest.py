"""Both environments synthesized once per test session, from cdk.json's example
context, as ``make synth`` does (asset staging off: nothing to copy for a test)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aws_cdk")  # the deploy tooling is a dev dependency
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # see Makefile

from aws_cdk.assertions import Template

from deploy.cdk.app import app_build, example_context
from deploy.cdk.environments import ENVIRONMENTS


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    templates: dict[str, Template]  # env name -> template

    def raw(self, env_name: str) -> dict[str, Any]:
        template: dict[str, Any] = self.templates[env_name].to_json()
        return template


def app_context() -> dict[str, Any]:
    return {**example_context(), "aws:cdk:disable-asset-staging": True}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    # Synth runs the cdk-nag AwsSolutions pack: an unacknowledged finding raises here.
    assembly = app_build(app_context(), outdir=str(outdir)).synth()
    return Synthesized(
        outdir=outdir,
        templates={
            env: Template.from_json(assembly.get_stack_by_name(f"frgm-{env}").template)
            for env in ENVIRONMENTS
        },
    )


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
