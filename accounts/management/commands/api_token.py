"""``manage.py api_token create USERNAME --name NAME`` | ``list [USERNAME]`` | ``revoke PREFIX``."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.api_auth import api_token_create, api_token_revoke
from accounts.models import ApiToken


def _via(action: str) -> str:
    """For the audit trail: the command, and the account on the machine that ran it."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        who = f"uid {os.getuid()}"
    return f"manage.py api_token {action}, run by {who}"


class Command(BaseCommand):
    help = "Create, list or revoke JSON API tokens. A new token is printed once, never again."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        listing = sub.add_parser("list", help="list tokens (prefixes only)")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke the token with this prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["username"], options["name"])
        elif action == "list":
            self._list(options.get("username"))
        else:
            self._revoke(options["prefix"])

    def _create(self, username: str, name: str) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {username!r}") from exc
        token, raw = api_token_create(user=user, name=name, via=_via("create"))
        self.stderr.write(f"Token {token.prefix}… for {username} ({name}). Shown once, keep it:")
        self.stdout.write(raw)

    def _list(self, username: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("created")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            state = f"revoked {t.revoked:%Y-%m-%d %H:%M}" if t.revoked else "active"
            used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never"
            self.stdout.write(
                f"{t.prefix}…  {t.user.username:<16} {t.name:<24} {state}, used {used}"
            )

    def _revoke(self, prefix: str) -> None:
        matches = list(ApiToken.objects.filter(prefix__startswith=prefix.rstrip("…")))
        if len(matches) != 1:
            raise CommandError(f"{len(matches)} tokens match {prefix!r}: give a longer prefix")
        if api_token_revoke(token=matches[0], via=_via("revoke")):
            self.stdout.write(f"revoked {matches[0].prefix}…")
        else:
            self.stdout.write(f"{matches[0].prefix}… was revoked already")
