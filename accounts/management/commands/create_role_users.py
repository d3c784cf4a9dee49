from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.services import role_users_ensure


class Command(BaseCommand):
    help = (
        "Create one user per role (trader, oncall, admin). Passwords come from "
        "FRGM_ROLE_PASSWORD or are generated and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="give the existing persona users new passwords (printed once)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        reset = options["reset"]
        users = role_users_ensure(password=settings.FRGM_ROLE_PASSWORD or None, reset=reset)
        for user in users:
            if user.password is None:
                self.stdout.write(
                    f"  {user.username:<8} exists (password unchanged; a lost one: "
                    "`.venv/bin/python manage.py create_role_users --reset`)"
                )
            else:
                done = "new password" if reset else "created, password"
                self.stdout.write(f"  {user.username:<8} {done}: {user.password}")
