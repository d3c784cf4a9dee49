from typing import Any

from django.http import HttpRequest

from accounts.roles import Role, user_roles


def roles(request: HttpRequest) -> dict[str, Any]:
    """Which navigation entries the current user sees."""
    held = user_roles(request.user)
    return {
        "can_trade": Role.TRADER in held,
        "can_ops": Role.ONCALL in held,
        "is_admin": Role.ADMIN in held,
    }
