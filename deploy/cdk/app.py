"""The CDK app: one stack per environment, ``frgm-dev`` and ``frgm-prod``.

    make synth                       (both, offline: cdk.json's example context)
    cd deploy/cdk && npx --yes aws-cdk@<pinned> deploy frgm-dev -c 'frgm:dev={...}'
    python -m deploy.cdk.app         (synth without the CDK CLI, into deploy/cdk/cdk.out)

Differences between the environments are properties (deploy/cdk/environments.py);
the account-specific values come from CDK context ``frgm:<env>``. Only the
environments whose context is given are built, so dev never needs prod's
(``FRGM_CDK_ENVIRONMENTS=dev`` or ``-c frgm:environments=dev`` picks one). The
cdk-nag AwsSolutions pack checks every synth; an unsuppressed error fails it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file (python deploy/cdk/app.py): find the repo
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import aws_cdk as cdk
import cdk_nag

from deploy.cdk.ci_role import GithubDeployRoleStack, ci_target
from deploy.cdk.environments import ENVIRONMENT_PROPS, ENVIRONMENTS, deploy_context
from deploy.cdk.nag import nag_acknowledge
from deploy.cdk.runtime import portal_image
from deploy.cdk.stack import FrgmStack

CDK_DIR = Path(__file__).resolve().parent


def environments_wanted(app: cdk.App) -> tuple[str, ...]:
    """The environments to build: ``frgm:environments`` (context) or FRGM_CDK_ENVIRONMENTS,
    comma-separated; by default those whose context is present."""
    raw = app.node.try_get_context("frgm:environments") or os.environ.get(
        "FRGM_CDK_ENVIRONMENTS", ""
    )
    if raw:
        wanted = tuple(name.strip() for name in str(raw).split(",") if name.strip())
        unknown = set(wanted) - set(ENVIRONMENTS)
        if unknown:
            raise ValueError(f"unknown environment(s) {sorted(unknown)}: use {ENVIRONMENTS}")
        return wanted
    present = tuple(e for e in ENVIRONMENTS if app.node.try_get_context(f"frgm:{e}") is not None)
    return present or ENVIRONMENTS  # none given: name what is missing


def app_build(context: dict[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    app = cdk.App(context=context, outdir=outdir)
    image = portal_image()
    for env_name in environments_wanted(app):
        deploy = deploy_context(app, env_name)
        stack = FrgmStack(
            app,
            f"frgm-{env_name}",
            props=ENVIRONMENT_PROPS[env_name],
            context=deploy,
            image=image,
            env=cdk.Environment(account=deploy.account, region=deploy.region),
            description=f"FRGM Live {env_name}: the whole system (deploy/cdk)",
        )
        nag_acknowledge(stack)
    ci = ci_target(app)
    if ci is not None:  # the GitHub Actions deploy role: once per account, by a person
        GithubDeployRoleStack(app, "frgm-ci", target=ci, description="FRGM Live: CI deploy role")
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app, verbose=True))
    return app


def example_context() -> dict[str, Any]:
    """cdk.json's example context: what ``make synth`` and the tests synthesize."""
    cdk_json = json.loads((CDK_DIR / "cdk.json").read_text())
    context: dict[str, Any] = cdk_json["context"]  # the feature flags too: same templates
    return context


if __name__ == "__main__":
    # Run by the CDK CLI (cdk.json's "app") it reads the context the CLI passes; run
    # by hand it synthesizes cdk.json's example context into deploy/cdk/cdk.out.
    by_cli = "CDK_OUTDIR" in os.environ
    app_build(
        None if by_cli else example_context(), None if by_cli else str(CDK_DIR / "cdk.out")
    ).synth()
