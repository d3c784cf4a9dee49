from django.urls import path

from ops import task_views, views

app_name = "ops"
urlpatterns = [
    path("", views.health_page, name="health"),
    path("feeds/<str:feed>/", views.feed_detail, name="feed"),
    path("feeds/<str:feed>/clear/", views.feed_state_clear, name="feed_clear"),
    path("intake/", views.intake_page, name="intake"),
    path("quarantine/<int:pk>/raw/", views.quarantine_download, name="quarantine_raw"),
    path("dlq/redrive/", task_views.dlq_redrive, name="dlq_redrive"),
    path("tasks/", task_views.tasks_page, name="tasks"),
    path("tasks/<str:kind>/", task_views.task_start, name="task_start"),
    path("silences/", views.silence_create, name="silence_create"),
    path("alarms/", views.alarms_page, name="alarms"),
    path("alarms/<slug:alarm_id>/", views.alarm_page, name="alarm"),
    path("incidents/", views.incidents_page, name="incidents"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("runbooks/", views.runbooks_page, name="runbooks"),
    path("runbooks/<slug:slug>/", views.runbook_page, name="runbook"),
]
