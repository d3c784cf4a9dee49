"""cdk-nag's AwsSolutions pack runs on every synth: a finding nobody acknowledged
with a reason stops it (both real stacks pass: tests/cdk/conftest.py)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_ec2 as ec2

from deploy.cdk.nag import acknowledge
from tests.cdk.conftest import Synthesized


def test_both_environments_synthesize_with_no_unacknowledged_finding(
    synthesized: Synthesized,
) -> None:
    report = synthesized.outdir / "validation-report.json"
    if report.exists():  # written on failure; a pass leaves none or a clean one
        for plugin in json.loads(report.read_text())["pluginReports"]:
            assert plugin["conclusion"] == "success", plugin["violations"]
    assert set(synthesized.templates) == {"dev", "prod"}


def _open_group_app(*, acknowledged: bool) -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "nag-probe")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=1,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)
        ],
    )
    acknowledge(vpc, "AwsSolutions-VPC7", "a probe")
    group = ec2.SecurityGroup(stack, "Open", vpc=vpc)
    group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443))
    if acknowledged:
        acknowledge(group, "AwsSolutions-EC23", "a probe")
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    return app


def test_an_unacknowledged_finding_stops_the_synth() -> None:
    with pytest.raises(RuntimeError, match="AwsSolutions-EC23"):
        _open_group_app(acknowledged=False).synth()
    _open_group_app(acknowledged=True).synth()
