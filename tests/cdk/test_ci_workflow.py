"""The GitHub Actions workflow tests, then deploys dev on main, then prod behind an
approval, each with a smoke test of /readyz and a rollback when it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "deploy.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _runs(job: dict[str, Any]) -> list[str]:
    return [step.get("run", "") for step in job["steps"]]


def _step(job: dict[str, Any], run_contains: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if run_contains in s.get("run", ""))


def test_it_runs_on_main_and_holds_no_aws_keys(workflow) -> None:
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML reads `on:` as True
    assert "AWS_SECRET_ACCESS_KEY" not in WORKFLOW.read_text()
    assert workflow["permissions"] == {"contents": "read"}


def test_the_tests_gate_every_deploy(workflow) -> None:
    jobs = workflow["jobs"]
    assert any("make test" in run for run in _runs(jobs["test"]))
    assert any("make lint" in run for run in _runs(jobs["test"]))
    assert jobs["deploy-dev"]["needs"] == "test"
    assert jobs["deploy-prod"]["needs"] == "deploy-dev"


@pytest.mark.parametrize(
    ("job_name", "stack"), [("deploy-dev", "frgm-dev"), ("deploy-prod", "frgm-prod")]
)
def test_each_deploy_assumes_the_oidc_role_deploys_smokes_and_rolls_back(
    workflow, job_name, stack
) -> None:
    job = workflow["jobs"][job_name]
    assert job["permissions"]["id-token"] == "write"
    credentials = next(
        s
        for s in job["steps"]
        if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    )
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    runs = _runs(job)
    deploy = next(i for i, run in enumerate(runs) if f"deploy {stack}" in run)
    record = next(i for i, run in enumerate(runs) if f"release record --stack {stack}" in run)
    smoke = next(i for i, run in enumerate(runs) if f"release smoke --stack {stack}" in run)
    assert record < deploy < smoke
    assert "aws-cdk@${CDK_CLI_VERSION}" in runs[deploy]
    rollback = _step(job, f"release rollback --stack {stack}")
    assert rollback["if"] == "failure() && steps.smoke.outcome == 'failure'"
    assert job["steps"][smoke]["id"] == "smoke"


def test_the_workflow_deploys_with_the_cdk_cli_the_makefile_pins(workflow) -> None:
    makefile = (WORKFLOW.parents[2] / "Makefile").read_text()
    pinned = next(
        line.split(":=")[1].strip()
        for line in makefile.splitlines()
        if line.startswith("CDK_CLI_VERSION")
    )
    assert workflow["env"]["CDK_CLI_VERSION"] == pinned


@pytest.mark.parametrize(("job_name", "env"), [("deploy-dev", "dev"), ("deploy-prod", "prod")])
def test_each_deploy_takes_its_own_environments_context(workflow, job_name, env) -> None:
    step = _step(workflow["jobs"][job_name], f"deploy frgm-{env}")
    assert step["env"]["FRGM_CDK_ENVIRONMENTS"] == env
    assert step["env"]["CONTEXT"] == f"${{{{ vars.FRGM_{env.upper()}_CONTEXT }}}}"
    assert f'-c "frgm:{env}=${{CONTEXT}}"' in step["run"]


def test_dev_deploys_from_main_and_prod_waits_for_its_environment_approval(workflow) -> None:
    jobs = workflow["jobs"]
    assert jobs["deploy-dev"]["if"] == "github.ref == 'refs/heads/main'"
    assert jobs["deploy-dev"]["environment"] == "dev"
    assert jobs["deploy-prod"]["environment"] == "prod"
