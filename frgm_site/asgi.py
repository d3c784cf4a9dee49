"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets accept only same-host origins and carry the Django session. The
JSON API (``/api/``) goes through Django's sync handler on a bounded thread
pool (``frgm_site.api_asgi``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
# Django must be set up before anything that imports models (the routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from frgm_site.api_asgi import ApiServer  # noqa: E402
from frgm_site.routing import websocket_urlpatterns  # noqa: E402
from ladder.api_cache import api_cache_hub_attach  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ApiServer(
            django_asgi_app,
            wsgi=get_wsgi_application(),
            max_in_flight=settings.FRGM_API_MAX_IN_FLIGHT,
            threads=settings.FRGM_API_THREADS,
            startup=api_cache_hub_attach,
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
