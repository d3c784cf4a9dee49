from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


def _admin_permissions_after_migrate(*, using: str, apps: Any = global_apps, **kwargs: Any) -> None:
    """Sent once per app after every ``migrate`` (and ``flush``, which passes no
    ``apps``), after Django has made that app's permissions: the admin group picks
    up those of models added since."""
    from accounts.services import admin_permissions_ensure

    try:
        apps.get_model("auth", "Group")
    except LookupError:  # auth migrated back to zero: no groups to give anything to
        return
    admin_permissions_ensure(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        post_migrate.connect(
            _admin_permissions_after_migrate, dispatch_uid="accounts.admin_permissions"
        )
        from accounts.signals import socket_signals_connect

        socket_signals_connect()
