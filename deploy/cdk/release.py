"""The workflow's release steps around ``cdk deploy``: record, smoke, roll back.

    python -m deploy.cdk.release record   --stack frgm-dev --out previous.json
    python -m deploy.cdk.release smoke    --stack frgm-dev [--within 300]
    python -m deploy.cdk.release rollback --stack frgm-dev --previous previous.json

``record`` keeps each ECS service's task definition before the deploy;
``smoke`` asks the site's ``/readyz`` through the ALB until it answers 200
(every dependency reachable from the new tasks) or the time is up;
``rollback`` points every service back at what ``record`` kept. CloudFormation
and the ECS deployment circuit breaker already roll back a deploy whose tasks
never get healthy; this covers the one that is healthy but cannot reach what
it needs.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# The stack outputs the release reads (deploy/cdk: CfnOutput ids).
SITE_URL = "SiteUrl"
CLUSTER = "ClusterName"
SERVICES = ("WebService", "WorkerService", "SchedulerService")


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def services_record(ecs: Any, outputs: Mapping[str, str]) -> dict[str, str]:
    """Service name -> its task definition ARN now."""
    names = [outputs[key] for key in SERVICES if key in outputs]
    if not names:
        return {}
    described = ecs.describe_services(cluster=outputs[CLUSTER], services=names)["services"]
    return {s["serviceName"]: s["taskDefinition"] for s in described}


def services_rollback(ecs: Any, outputs: Mapping[str, str], previous: Mapping[str, str]) -> None:
    for service, task_definition in previous.items():
        ecs.update_service(
            cluster=outputs[CLUSTER], service=service, taskDefinition=task_definition
        )


def readyz_wait(
    site_url: str,
    *,
    within_s: float,
    every_s: float = 10.0,
    fetch: Callable[[str], int] | None = None,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> tuple[bool, str]:
    """(ready, what the last attempt saw): ready once ``/readyz`` answers 200."""
    fetch = fetch or _status
    url = site_url.rstrip("/") + "/readyz"
    deadline = clock() + within_s
    seen = "no attempt"
    while True:
        try:
            status = fetch(url)
            seen = f"HTTP {status}"
            if status == 200:
                return True, seen
        except OSError as exc:
            seen = f"{type(exc).__name__}: {exc}"
        if clock() + every_s > deadline:
            return False, seen
        pause(every_s)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - our own site
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cdk.release")
    parser.add_argument("step", choices=("record", "smoke", "rollback"))
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--previous", type=Path)
    parser.add_argument("--within", type=float, default=300.0)
    args = parser.parse_args(argv)

    import boto3  # only the release steps need AWS

    outputs = stack_outputs(boto3.client("cloudformation"), args.stack)
    if args.step == "smoke":
        ready, seen = readyz_wait(outputs[SITE_URL], within_s=args.within)
        print(f"{args.stack}: /readyz {'ready' if ready else 'NOT ready'} ({seen})")
        return 0 if ready else 1
    ecs = boto3.client("ecs")
    if args.step == "record":
        record = services_record(ecs, outputs)
        (args.out or Path("previous-task-definitions.json")).write_text(json.dumps(record))
        print(f"{args.stack}: recorded {len(record)} service(s)")
        return 0
    previous = json.loads((args.previous or Path("previous-task-definitions.json")).read_text())
    services_rollback(ecs, outputs, previous)
    print(f"{args.stack}: rolled back {', '.join(previous) or 'nothing (first deploy)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
