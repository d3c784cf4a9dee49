"""What every container of the portal gets: one image, one set of settings.

The settings contract test (tests/cdk/test_settings_contract.py) starts
``frgm_site.settings`` with exactly the environment and secret names a
synthesized task definition gives, so a container never dies on a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, kw_only=True)
class AppRuntime:
    image: ecs.ContainerImage
    environment: Mapping[str, str]
    secrets: Mapping[str, ecs.Secret]
    log_retention: logs.RetentionDays
    env_name: str
    extra_environment: Mapping[str, str] = field(default_factory=dict)


def portal_image() -> ecs.ContainerImage:
    """The image from the repository's Dockerfile, built and pushed by ``cdk deploy``
    (an asset: synth only hashes the files and needs no Docker engine).

    SEAM: the CI pipeline may instead push to an ECR repository and deploy with
    ``ecs.ContainerImage.from_ecr_repository(repo, tag)``; only this function changes.
    """
    return ecs.ContainerImage.from_asset(
        str(REPO_ROOT),
        file="Dockerfile",
        exclude=[
            ".git",
            ".venv",
            ".run",
            "node_modules",
            "deploy/cdk/cdk.out",
            "staticfiles",
            "**/__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
        ],
    )


def log_retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for a number of days (CloudWatch accepts a fixed set)."""
    known = {
        1: logs.RetentionDays.ONE_DAY,
        7: logs.RetentionDays.ONE_WEEK,
        14: logs.RetentionDays.TWO_WEEKS,
        30: logs.RetentionDays.ONE_MONTH,
        90: logs.RetentionDays.THREE_MONTHS,
        180: logs.RetentionDays.SIX_MONTHS,
        365: logs.RetentionDays.ONE_YEAR,
    }
    if days not in known:
        raise ValueError(f"log retention {days} days: use one of {sorted(known)}")
    return known[days]
