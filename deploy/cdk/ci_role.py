"""The role GitHub Actions deploys with: OpenID Connect, no stored AWS keys.

A small stack of its own (``frgm-ci``), deployed once per account by a person
(deploy/cdk/README.md), before the workflow can run. Its role trusts one
repository: its main branch (which deploys dev) and its ``prod`` GitHub
environment (which deploys prod behind an approval). It may do two things
only: assume the CDK bootstrap roles (``cdk deploy`` does everything else
through them) and, for the smoke test's rollback, describe the stacks and
point the portal's ECS services back at their previous task definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from deploy.cdk.environments import ENVIRONMENTS
from deploy.cdk.nag import acknowledge

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
CDK_QUALIFIER = "hnb659fds"  # cdk bootstrap's default qualifier


@dataclass(frozen=True)
class CiTarget:
    github_repo: str  # owner/name
    branch: str = "main"
    prod_environment: str = "prod"  # the GitHub environment with required reviewers


def ci_target(app: Construct) -> CiTarget | None:
    raw: Any = app.node.try_get_context("frgm:ci")
    if not isinstance(raw, dict) or "github_repo" not in raw:
        return None
    return CiTarget(**{k: v for k, v in raw.items() if k in CiTarget.__dataclass_fields__})


class GithubDeployRoleStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, target: CiTarget, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The native resource (no custom-resource Lambda, unlike OpenIdConnectProvider).
        provider = iam.CfnOIDCProvider(
            self,
            "GithubOidc",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=["sts.amazonaws.com"],
        )
        repo = target.github_repo
        self.role = iam.Role(
            self,
            "DeployRole",
            role_name="frgm-github-deploy",
            description=f"GitHub Actions of {repo} deploy FRGM Live (main: dev; prod env: prod)",
            max_session_duration=cdk.Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                provider.attr_arn,
                conditions={
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
                    "StringLike": {
                        f"{GITHUB_OIDC_HOST}:sub": [
                            f"repo:{repo}:ref:refs/heads/{target.branch}",
                            f"repo:{repo}:environment:{target.prod_environment}",
                        ]
                    },
                },
            ),
        )
        account, region = cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="CdkBootstrapRoles",
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[
                    f"arn:aws:iam::{account}:role/cdk-{CDK_QUALIFIER}-{kind}-role-{account}-{region}"
                    for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadStackOutputs",
                actions=["cloudformation:DescribeStacks"],
                resources=[
                    f"arn:aws:cloudformation:{region}:{account}:stack/frgm-{env}/*"
                    for env in ENVIRONMENTS
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="RollBackServices",
                actions=["ecs:DescribeServices", "ecs:UpdateService"],
                resources=[
                    f"arn:aws:ecs:{region}:{account}:service/frgm-{env}/frgm-{env}-{service}"
                    for env in ENVIRONMENTS
                    for service in ("web", "worker", "scheduler")
                ],
            )
        )
        for env in ENVIRONMENTS:
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::arn:aws:cloudformation:<AWS::Region>:"
                f"<AWS::AccountId>:stack/frgm-{env}/*]",
                "A stack's ARN ends with the id CloudFormation gives it at creation: the "
                "name is fixed, the id cannot be known; read-only (DescribeStacks).",
            )
        cdk.CfnOutput(self, "DeployRoleArn", value=self.role.role_arn)
