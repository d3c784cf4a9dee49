"""The CDK app: one stack per environment. Differences are properties, not branches.

cd deploy/cdk && npx cdk synth   (or: python -m deploy.cdk.app from the repo root)
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from deploy.cdk.monitoring import Monitoring


class FrgmStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, env_name: str, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        names = {
            "FRGM_FEED_DLQ": f"frgm-{env_name}-feed-events-dlq",
            "FRGM_HISTORY_TABLE": f"frgm-{env_name}-history",
        }
        self.monitoring = Monitoring(self, "Monitoring", env_name=env_name, dimension_values=names)


def app_build() -> cdk.App:
    app = cdk.App()
    for env_name in ("dev", "prod"):
        FrgmStack(app, f"frgm-{env_name}", env_name=env_name)
    return app


if __name__ == "__main__":
    app_build().synth()
