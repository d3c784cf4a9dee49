"""The analytics page's JSON endpoints; ``ladder/urls.py`` includes these under
``analytics/`` (inside the ``ladder`` namespace, so no app_name here)."""

from django.urls import path

from ladder import analytics_views

urlpatterns = [
    path("series/", analytics_views.analytics_series, name="analytics-series"),
    path("smile/", analytics_views.analytics_smile, name="analytics-smile"),
    path("latency/", analytics_views.analytics_latency, name="analytics-latency"),
]
