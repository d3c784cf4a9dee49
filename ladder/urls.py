from django.urls import include, path

from ladder import analytics_views, slide_views, views

app_name = "ladder"
urlpatterns = [
    path("", views.ladder_page, name="ladder"),
    path("spot-risk/", views.spot_risk_page, name="spot_risk"),
    path("slide/", slide_views.slide_page, name="slide"),
    path("analytics/", analytics_views.analytics_page, name="analytics"),
    path("analytics/", include("ladder.analytics_urls")),
]
