"""Websocket routes of every app, gathered for the ASGI router."""

from ladder.routing import websocket_urlpatterns as ladder_ws
from ops.routing import websocket_urlpatterns as ops_ws

websocket_urlpatterns = [*ladder_ws, *ops_ws]
