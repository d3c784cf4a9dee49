"""``manage.py dlq_redrive --as USER``: move the dead-lettered notifications back to
the feed queue (the ops pages' "Redrive" from a shell), audited as USER.

Prints what waits in the DLQ first (each message's files and the last error
noted for it), then how many were moved. ``--peek`` only prints.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import Role, user_has_role
from lib.aws import AwsUnavailable
from ops import services


class Command(BaseCommand):
    help = "Move the feed DLQ's messages back to the feed queue, audited as --as USER."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as", dest="username", required=True, help="the on-call user the audit names"
        )
        parser.add_argument("--limit", type=int, default=1000, help="at most this many")
        parser.add_argument("--peek", action="store_true", help="list what waits; move nothing")

    def handle(
        self, *args: object, username: str, limit: int, peek: bool, **options: object
    ) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user_has_role(user, Role.ONCALL):
            raise CommandError(f"{username!r} is no active on-call user")
        try:
            depth = services.dlq_depth()
            for letter in services.dlq_peek(limit=10):
                files = ", ".join(letter.files) or "(no file named)"
                self.stdout.write(
                    f"  {files}: {letter.receives} receive(s); last error: {letter.error or '-'}"
                )
            self.stdout.write(f"DLQ: {depth} message(s) waiting")
            if peek:
                return
            moved = services.dlq_redrive(user=user, limit=limit)
        except AwsUnavailable as exc:
            raise CommandError(f"SQS is unavailable: {exc}") from exc
        self.stdout.write(f"moved {moved} message(s) back to the feed queue")
