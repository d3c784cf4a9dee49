"""The JSON read API, mounted at ``/api/`` (``docs/API.md``)."""

from django.urls import path

from ladder import api

app_name = "api"
urlpatterns = [
    path("ladder/", api.ladder_api, name="ladder"),
    path("slide/", api.slide_api, name="slide"),
    path("spot-risk/", api.spot_risk_api, name="spot_risk"),
    path("history/", api.history_api, name="history"),
]
