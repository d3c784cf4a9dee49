from django.urls import path

from ladder.consumers import LadderConsumer

websocket_urlpatterns = [path("ws/ladder/", LadderConsumer.as_asgi())]
