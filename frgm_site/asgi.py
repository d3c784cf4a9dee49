"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets accept only same-host origins and carry the Django session (and
the user's roles, read with it: ``accounts.consumers.socket_auth_stack``). Static
files are answered before Django by ServeStatic (``frgm_site.static_files``).
The JSON API (``/api/``) goes through Django's sync handler on a bounded thread
pool (``frgm_site.api_asgi``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
# Django must be set up before anything that imports models (the routing).
django_asgi_app = get_asgi_application()

from frgm_site.checks import settings_refuse_unsafe  # noqa: E402

# uvicorn runs no system checks: unsafe production settings stop it here.
settings_refuse_unsafe()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from accounts.consumers import socket_auth_stack  # noqa: E402
from frgm_site.api_asgi import ApiServer  # noqa: E402
from frgm_site.request_id import RequestIdASGI  # noqa: E402
from frgm_site.routing import websocket_urlpatterns  # noqa: E402
from frgm_site.static_files import StaticFilesASGI  # noqa: E402
from ladder.api_cache import api_cache_hub_attach  # noqa: E402
from ladder.hub import live_hub_lifespan  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The request id first: uvicorn's access line and every answer carry it.
        "http": RequestIdASGI(
            StaticFilesASGI(
                ApiServer(
                    django_asgi_app,
                    wsgi=get_wsgi_application(),
                    max_in_flight=settings.FRGM_API_MAX_IN_FLIGHT,
                    threads=settings.FRGM_API_THREADS,
                    startup=api_cache_hub_attach,
                )
            )
        ),
        # Channels' AuthMiddlewareStack, reading the user's roles in the same database trip.
        "websocket": AllowedHostsOriginValidator(
            socket_auth_stack(URLRouter(websocket_urlpatterns))
        ),
        # Shutdown: the live hub leaves its channel-layer groups.
        "lifespan": live_hub_lifespan,
    }
)
