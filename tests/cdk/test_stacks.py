"""Both environments' synthesized stacks: what the deploy creates, checked on the
templates `make synth` writes (one synth per session: tests/cdk/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from deploy.cdk.app import app_build
from deploy.cdk.data import FEED_PREFIXES, MAX_RECEIVES, QUEUE_VISIBILITY_S
from deploy.cdk.environments import ENVIRONMENT_PROPS, ENVIRONMENTS, ContextMissing
from feeds.bootstrap import QUEUE_VISIBILITY_TIMEOUT_S
from feeds.history import TTL_ATTRIBUTE
from feeds.replay import FEED_PREFIXES as FEEDS_OWN_PREFIXES
from ops.alarms import ALARMS
from tests.cdk.conftest import Synthesized, app_context, resources

pytestmark = pytest.mark.parametrize("env", ENVIRONMENTS)

RUNNING_TASK_ALARMS = {
    "web-tasks-not-running": "frgm-{env}-web",
    "worker-tasks-not-running": "frgm-{env}-worker",
    "scheduler-tasks-not-running": "frgm-{env}-scheduler",
}


def test_history_has_point_in_time_recovery_and_the_ttl_the_worker_writes(
    synthesized: Synthesized, env: str
) -> None:
    synthesized.templates[env].has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": f"frgm-{env}-history",
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        },
    )
    retain = ENVIRONMENT_PROPS[env].retain_data
    [table] = resources(synthesized.raw(env), "AWS::DynamoDB::Table").values()
    assert table["DeletionPolicy"] == ("Retain" if retain else "Delete")


def test_the_queue_sends_a_file_to_the_dlq_after_five_receives(
    synthesized: Synthesized, env: str
) -> None:
    queues = resources(synthesized.raw(env), "AWS::SQS::Queue")
    [dlq_id] = [k for k, q in queues.items() if q["Properties"]["QueueName"].endswith("-dlq")]
    synthesized.templates[env].has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": f"frgm-{env}-feed-events",
            "SqsManagedSseEnabled": True,
            "VisibilityTimeout": QUEUE_VISIBILITY_S,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                "maxReceiveCount": 5,
            },
        },
    )
    # The consumer's own expectations (feeds/bootstrap.py makes the local queue so).
    assert QUEUE_VISIBILITY_S == QUEUE_VISIBILITY_TIMEOUT_S
    assert MAX_RECEIVES == 5


def test_every_feed_prefix_notifies_the_queue(synthesized: Synthesized, env: str) -> None:
    assert set(FEED_PREFIXES) == set(FEEDS_OWN_PREFIXES.values())
    [notifications] = resources(synthesized.raw(env), "Custom::S3BucketNotifications").values()
    configs = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    prefixes = {c["Filter"]["Key"]["FilterRules"][0]["Value"] for c in configs}
    assert prefixes == set(FEED_PREFIXES)
    assert {tuple(c["Events"]) for c in configs} == {("s3:ObjectCreated:*",)}


def test_both_redis_roles_speak_tls_only(synthesized: Synthesized, env: str) -> None:
    template = synthesized.templates[env]
    template.has_resource_properties(
        "AWS::MemoryDB::Cluster",
        {"TLSEnabled": True, "ACLName": f"frgm-{env}-state", "NumShards": 1},
    )
    template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "TransitEncryptionEnabled": True,
            "AtRestEncryptionEnabled": True,
            "AuthToken": Match.any_value(),
        },
    )


def test_prod_keeps_a_replica_in_the_other_az(synthesized: Synthesized, env: str) -> None:
    raw = synthesized.raw(env)
    [memorydb] = resources(raw, "AWS::MemoryDB::Cluster").values()
    [messaging] = resources(raw, "AWS::ElastiCache::ReplicationGroup").values()
    [database] = resources(raw, "AWS::RDS::DBInstance").values()
    prod = env == "prod"
    assert memorydb["Properties"]["NumReplicasPerShard"] == (1 if prod else 0)
    assert messaging["Properties"]["MultiAZEnabled"] is prod
    assert messaging["Properties"]["NumCacheClusters"] == (2 if prod else 1)
    assert database["Properties"]["MultiAZ"] is prod


def test_nothing_but_the_alb_is_reachable_from_the_internet(
    synthesized: Synthesized, env: str
) -> None:
    raw = synthesized.raw(env)
    open_groups = {}
    for name, group in resources(raw, "AWS::EC2::SecurityGroup").items():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            if rule.get("CidrIp") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0":
                open_groups.setdefault(name, set()).add(rule["FromPort"])
    for rule in resources(raw, "AWS::EC2::SecurityGroupIngress").values():
        assert "SourceSecurityGroupId" in rule["Properties"], rule  # group to group only
    [alb] = resources(raw, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert alb["Properties"]["Scheme"] == "internet-facing"
    [alb_group] = alb["Properties"]["SecurityGroups"]
    assert open_groups == {alb_group["Fn::GetAtt"][0]: {80, 443}}
    for service in resources(raw, "AWS::ECS::Service").values():
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
    for database in resources(raw, "AWS::RDS::DBInstance").values():
        assert database["Properties"].get("PubliclyAccessible") in (None, False)
    [bucket] = resources(raw, "AWS::S3::Bucket").values()
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_http_redirects_to_https_and_the_alb_checks_healthz(
    synthesized: Synthesized, env: str
) -> None:
    template = synthesized.templates[env]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "DefaultActions": [
                Match.object_like(
                    {"Type": "redirect", "RedirectConfig": Match.object_like({"Port": "443"})}
                )
            ],
        },
    )
    certificate = app_context()[f"frgm:{env}"]["certificate_arn"]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": certificate}]},
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"HealthCheckPath": "/healthz", "Port": 8000},
    )


def test_one_alarm_per_definition_plus_one_per_service_without_tasks(
    synthesized: Synthesized, env: str
) -> None:
    alarms = resources(synthesized.raw(env), "AWS::CloudWatch::Alarm").values()
    named = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in alarms
        if "AlarmName" in a["Properties"]
    }
    expected = {f"frgm-{env}-{a.id}" for a in ALARMS} | {
        f"frgm-{env}-{alarm_id}" for alarm_id in RUNNING_TASK_ALARMS
    }
    assert set(named) == expected
    for alarm_id, service in RUNNING_TASK_ALARMS.items():
        alarm = named[f"frgm-{env}-{alarm_id}"]
        assert alarm["MetricName"] == "RunningTaskCount"
        assert alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["Threshold"] == 1
        assert alarm["TreatMissingData"] == "breaching"
        assert alarm["Dimensions"] == [
            {"Name": "ClusterName", "Value": f"frgm-{env}"},
            {"Name": "ServiceName", "Value": service.format(env=env)},
        ]


def test_task_counts_follow_the_environment(synthesized: Synthesized, env: str) -> None:
    props = ENVIRONMENT_PROPS[env]
    counts = {
        s["Properties"]["ServiceName"]: s["Properties"]["DesiredCount"]
        for s in resources(synthesized.raw(env), "AWS::ECS::Service").values()
    }
    assert counts == {
        f"frgm-{env}-web": props.web.desired,
        f"frgm-{env}-worker": props.worker.desired,
        f"frgm-{env}-scheduler": 1,
    }
    if env == "prod":
        assert counts["frgm-prod-web"] == 2
        assert counts["frgm-prod-worker"] >= 2
        synthesized.templates[env].has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            {"MinCapacity": props.worker.desired, "MaxCapacity": props.worker.max_tasks},
        )


def test_web_migrates_before_it_serves_and_rolls_back_a_failed_deploy(
    synthesized: Synthesized, env: str
) -> None:
    template = synthesized.templates[env]
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Family": f"frgm-{env}-web",
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Name": "migrate",
                        "Essential": False,
                        "Command": ["migrate"],
                    }
                ),
                Match.object_like(
                    {
                        "Name": "web",
                        "DependsOn": [{"Condition": "SUCCESS", "ContainerName": "migrate"}],
                    }
                ),
            ],
        },
    )
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "ServiceName": f"frgm-{env}-web",
            "DeploymentConfiguration": Match.object_like(
                {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}
            ),
        },
    )


# Actions IAM cannot scope to a resource, each with why the task needs it.
UNSCOPABLE = {
    "ecr:GetAuthorizationToken",  # pulling the image
    "ssmmessages:CreateControlChannel",  # ECS Exec
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "logs:DescribeLogGroups",  # ECS Exec's session log
    "cloudwatch:DescribeAlarms",  # the scheduler mirrors its alarms
}


def _statements(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(raw, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_every_iam_statement_names_its_resources(synthesized: Synthesized, env: str) -> None:
    for statement in _statements(synthesized.raw(env)):
        targets = statement["Resource"]
        targets = targets if isinstance(targets, list) else [targets]
        actions = statement["Action"]
        actions = set(actions if isinstance(actions, list) else [actions])
        if "*" in targets:
            assert actions <= UNSCOPABLE, statement
        assert not any(a.endswith(":*") or a == "*" for a in actions), statement


def test_only_the_scheduler_may_silence_alarms_and_only_its_own(
    synthesized: Synthesized, env: str
) -> None:
    raw = synthesized.raw(env)
    silencing = [
        (name, statement)
        for name, policy in resources(raw, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "cloudwatch:DisableAlarmActions" in statement["Action"]
    ]
    [(policy, statement)] = silencing
    assert policy.startswith("SchedulerTask")
    resource = statement["Resource"]
    if isinstance(resource, dict):
        resource = "".join(str(part) for part in resource["Fn::Join"][1])
    assert resource.endswith(f":alarm:frgm-{env}-*")


def test_alarms_reach_slack_through_chatbot_and_email(synthesized: Synthesized, env: str) -> None:
    context = app_context()[f"frgm:{env}"]
    template = synthesized.templates[env]
    template.has_resource_properties(
        "AWS::Chatbot::SlackChannelConfiguration",
        {
            "SlackWorkspaceId": context["slack_workspace_id"],
            "SlackChannelId": context["slack_channel_id"],
            "SnsTopicArns": Match.any_value(),
        },
    )
    [chatbot] = resources(synthesized.raw(env), "AWS::Chatbot::SlackChannelConfiguration").values()
    assert len(chatbot["Properties"]["SnsTopicArns"]) == 2
    template.resource_properties_count_is(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": context["alarm_email"]}, 2
    )
    template.has_resource_properties(
        "AWS::Budgets::Budget",
        {
            "Budget": Match.object_like(
                {"BudgetLimit": {"Amount": context["monthly_budget_usd"], "Unit": "USD"}}
            ),
            "NotificationsWithSubscribers": [
                Match.object_like({"Notification": Match.object_like({"Threshold": 80})}),
                Match.object_like({"Notification": Match.object_like({"Threshold": 100})}),
            ],
        },
    )


def test_outputs_name_what_the_runbooks_and_feed_server_use(
    synthesized: Synthesized, env: str
) -> None:
    outputs = synthesized.raw(env)["Outputs"]
    for name in (
        "SiteUrl",
        "FeedBucket",
        "FeedPrefixes",
        "ClusterName",
        "WebService",
        "WorkerService",
        "SchedulerService",
        "FeedQueue",
        "FeedDlq",
        "HistoryTable",
        "StateCluster",
    ):
        assert name in outputs, name
    raw = synthesized.raw(env)
    for output, role in (
        ("WebService", "web"),
        ("WorkerService", "worker"),
        ("SchedulerService", "scheduler"),
    ):
        [service, _] = outputs[output]["Value"]["Fn::GetAtt"]
        assert raw["Resources"][service]["Properties"]["ServiceName"] == f"frgm-{env}-{role}"
    assert outputs["FeedPrefixes"]["Value"] == ",".join(FEED_PREFIXES)


def test_every_container_logs_with_the_environments_retention(
    synthesized: Synthesized, env: str
) -> None:
    days = ENVIRONMENT_PROPS[env].log_retention_days
    for group in resources(synthesized.raw(env), "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == days


def test_dev_synthesizes_without_prods_context(env: str) -> None:
    context = {f"frgm:{env}": app_context()[f"frgm:{env}"]}
    app = app_build(context)  # built, not synthesized: construction is what needs context
    assert [child.node.id for child in app.node.children if child.node.id.startswith("frgm-")] == [
        f"frgm-{env}"
    ]


def test_a_missing_context_key_stops_the_synth_and_names_it(env: str) -> None:
    context = app_context()
    del context[f"frgm:{env}"]["certificate_arn"]
    with pytest.raises(ContextMissing, match=f"frgm:{env} misses certificate_arn"):
        app_build(context)


def test_the_bucket_refuses_plain_http_and_the_feed_server_may_only_put_and_check_feed_files(
    synthesized: Synthesized, env: str
) -> None:
    raw = synthesized.raw(env)
    [policy] = resources(raw, "AWS::S3::BucketPolicy").values()
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    users = resources(raw, "AWS::IAM::User")
    [(user_id, user)] = users.items()
    assert user["Properties"]["UserName"] == f"frgm-{env}-feed-server"
    [statement] = [
        s
        for p in resources(raw, "AWS::IAM::Policy").values()
        if {"Ref": user_id} in p["Properties"].get("Users", [])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    # PUT, and the producer's HEAD after a crash (feeds/push): nothing else, feed prefixes only
    assert sorted(statement["Action"]) == ["s3:GetObject", "s3:PutObject"]
    suffixes = {part["Fn::Join"][1][-1] for part in statement["Resource"]}
    assert suffixes == {f"/{prefix}*" for prefix in FEED_PREFIXES}


def test_workers_scale_on_backlog_per_task_and_message_age(
    synthesized: Synthesized, env: str
) -> None:
    raw = synthesized.raw(env)
    alarms = [a["Properties"] for a in resources(raw, "AWS::CloudWatch::Alarm").values()]
    scaling = [a for a in alarms if "AlarmName" not in a]
    expressions = {m.get("Expression") for a in scaling for m in a.get("Metrics", [])}
    ages = {a.get("MetricName") for a in scaling}
    assert "visible / IF(tasks > 0, tasks, 1)" in expressions
    assert "ApproximateAgeOfOldestMessage" in ages
    synthesized.templates[env].has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "MinCapacity": ENVIRONMENT_PROPS[env].worker.desired,
            "MaxCapacity": ENVIRONMENT_PROPS[env].worker.max_tasks,
        },
    )


def _role_actions(raw: dict[str, Any], role_prefix: str) -> set[str]:
    actions: set[str] = set()
    for name, policy in resources(raw, "AWS::IAM::Policy").items():
        if name.startswith(role_prefix):
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                found = statement["Action"]
                actions |= set(found if isinstance(found, list) else [found])
    return actions


def test_each_task_role_holds_what_its_code_calls_and_no_more(
    synthesized: Synthesized, env: str
) -> None:
    raw = synthesized.raw(env)
    web = _role_actions(raw, "WebTaskTaskRole")
    worker = _role_actions(raw, "WorkerTaskTaskRole")
    scheduler = _role_actions(raw, "SchedulerTaskTaskRole")
    exec_channel = {a for a in UNSCOPABLE if a.startswith(("ssmmessages:", "logs:"))}
    # web: reads history, counts and peeks at the DLQ, presigns quarantined files;
    # moves no message (the redrive is the worker's task)
    assert {"dynamodb:Query", "sqs:ReceiveMessage", "s3:GetObject"} <= web
    assert not {a for a in web if a.startswith("dynamodb:") and "Put" in a}
    assert not {"sqs:SendMessage", "sqs:DeleteMessage", "sqs:StartMessageMoveTask"} & web
    # worker: the only writer of history; reads files; consumes the queue; redrives
    # the DLQ with SQS's move task
    assert {"dynamodb:PutItem", "s3:GetObject", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= worker
    assert {"sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:SendMessage"} <= worker
    # scheduler: its own alarms only
    assert scheduler - exec_channel - {
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    } == {
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DisableAlarmActions",
        "cloudwatch:EnableAlarmActions",
    }
    for actions in (web, worker, scheduler):
        assert "s3:PutObject" not in actions  # only the feed server writes feed files


def test_every_container_runs_a_command_the_image_knows(synthesized: Synthesized, env: str) -> None:
    from frgm_site.container import PROCESSES

    commands = {}
    for definition in (
        synthesized.templates[env].find_resources("AWS::ECS::TaskDefinition").values()
    ):
        for container in definition["Properties"]["ContainerDefinitions"]:
            commands[container["Name"]] = container.get("Command", ["web"])  # the image's CMD
    assert commands == {
        "migrate": ["migrate"],
        "web": ["web"],
        "worker": ["worker"],
        "scheduler": ["scheduler"],
    }
    assert all(command[0] in PROCESSES for command in commands.values())


def test_a_worker_whose_loops_stop_is_replaced(synthesized: Synthesized, env: str) -> None:
    synthesized.templates[env].has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Family": f"frgm-{env}-worker",
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Name": "worker",
                        "HealthCheck": Match.object_like(
                            {
                                "Command": ["CMD", "python", "manage.py", "worker_health"],
                                "Timeout": 10,
                            }
                        ),
                        "StopTimeout": 30,
                    }
                )
            ],
        },
    )
