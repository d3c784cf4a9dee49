from typing import Any

from django.core.management.base import BaseCommand

from accounts.services import role_users_ensure


class Command(BaseCommand):
    help = (
        "Create one user per role (trader, oncall, admin). Passwords come from "
        "FRGM_ROLE_PASSWORD or are generated and printed once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        for user in role_users_ensure(password=settings.FRGM_ROLE_PASSWORD or None):
            if user.password is None:
                self.stdout.write(f"  {user.username:<8} exists (password unchanged)")
            else:
                self.stdout.write(f"  {user.username:<8} created, password: {user.password}")
