from django.urls import path

from ladder.consumers import LadderConsumer, SlideConsumer, SpotRiskConsumer

websocket_urlpatterns = [
    path("ws/ladder/", LadderConsumer.as_asgi()),
    path("ws/spot-risk/", SpotRiskConsumer.as_asgi()),
    path("ws/slide/", SlideConsumer.as_asgi()),
]
