"""CDK context describing one environment's surroundings, as a deploy gives it."""

from __future__ import annotations

from typing import Any


def deploy_context(env_name: str) -> dict[str, Any]:
    n = {"dev": "0", "prod": "1"}[env_name]  # ids in AWS's own formats, one set per environment
    return {
        "vpc_id": f"vpc-0{n}23456789abcdef0",
        "availability_zones": ["us-east-1a", "us-east-1b"],
        "private_subnet_ids": [f"subnet-0{n}23456789abcdef1", f"subnet-0{n}23456789abcdef2"],
        "app_security_group_id": f"sg-0{n}23456789abcdef0",
        "cluster_name": f"frgm-{env_name}",
        "image_uri": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/frgm-live:{env_name}-1",
        "state_cluster": f"frgm-{env_name}-state",
        "load_balancer": f"app/frgm-{env_name}-web/0{n}23456789abcdef",
        "target_group": f"targetgroup/frgm-{env_name}-web/0{n}23456789abcdef",
        "environment": {"DJANGO_ALLOWED_HOSTS": f"frgm-{env_name}.example.com"},
        "secrets": {
            "DATABASE_URL": (
                f"arn:aws:secretsmanager:us-east-1:123456789012:secret:frgm-{env_name}-db-AbCdEf"
            )
        },
    }


def app_context() -> dict[str, Any]:
    return {f"frgm:{env_name}": deploy_context(env_name) for env_name in ("dev", "prod")}
