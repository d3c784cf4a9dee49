from django.urls import path

from ops.consumers import OpsConsumer, OpsTasksConsumer

websocket_urlpatterns = [
    path("ws/ops/", OpsConsumer.as_asgi()),
    path("ws/ops/tasks/", OpsTasksConsumer.as_asgi()),
]
