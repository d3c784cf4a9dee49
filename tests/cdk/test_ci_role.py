"""The frgm-ci stack's role: trusted by one repository's main branch and prod
environment through GitHub's OIDC, allowed only the CDK bootstrap roles and the
rollback's ECS calls."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from deploy.cdk.ci_role import GithubDeployRoleStack, ci_target


@pytest.fixture(scope="module")
def template() -> Template:
    app = cdk.App(context={"frgm:ci": {"github_repo": "desk/frgm-live"}})
    target = ci_target(app)
    assert target is not None
    return Template.from_stack(GithubDeployRoleStack(app, "frgm-ci", target=target))


def _role(template: Template) -> dict:
    (role,) = template.find_resources("AWS::IAM::Role").values()
    return role["Properties"]


def test_only_this_repositorys_main_branch_and_prod_environment_may_assume_it(template) -> None:
    (statement,) = _role(template)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]
    assert condition["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
    }
    assert condition["StringLike"]["token.actions.githubusercontent.com:sub"] == [
        "repo:desk/frgm-live:ref:refs/heads/main",
        "repo:desk/frgm-live:environment:prod",
    ]


def test_every_statement_names_its_resources(template) -> None:
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {s["Sid"] for s in statements} == {
        "CdkBootstrapRoles",
        "ReadStackOutputs",
        "RollBackServices",
    }
    for statement in statements:
        resources = statement["Resource"]
        assert resources != "*"
        for resource in resources if isinstance(resources, list) else [resources]:
            assert json.dumps(resource).startswith(('"arn:aws:', '{"Fn::Join": ["", ["arn:aws:'))


def test_without_a_repository_in_context_there_is_no_ci_stack() -> None:
    assert ci_target(cdk.App()) is None
