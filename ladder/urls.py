from django.urls import path

from ladder import views

app_name = "ladder"
urlpatterns = [
    path("", views.ladder_page, name="ladder"),
    path("analytics/", views.analytics_page, name="analytics"),
]
