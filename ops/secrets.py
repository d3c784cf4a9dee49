"""Verify a secret reference against Secrets Manager, reading metadata only.

``DescribeSecret`` tells when a secret was rotated and last read; its value is
never requested (no ``GetSecretValue`` anywhere), so it cannot leak.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.services import audit_record
from lib.aws import client
from ops.models import SecretReference


def secret_verify(*, reference: SecretReference, user: User | None) -> SecretReference:
    """Record the secret's rotation and access dates, or why they could not be read."""
    try:
        described = client("secretsmanager", attempts=1).describe_secret(SecretId=reference.arn)
    except ClientError as exc:
        reference.verify_error = exc.response["Error"].get("Code", "error")[:255]
    except BotoCoreError as exc:
        reference.verify_error = type(exc).__name__
    else:
        reference.verify_error = ""
        reference.last_rotated = described.get("LastRotatedDate") or described.get("CreatedDate")
        reference.last_accessed = described.get("LastAccessedDate")
    reference.last_verified = timezone.now()
    reference.save()
    audit_record(
        actor=user,
        action="secret.verify",
        target=reference.name,
        detail=reference.verify_error or "ok",
    )
    return reference
