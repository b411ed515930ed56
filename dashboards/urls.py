from django.urls import path

from . import knowledge, satisfaction, views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("satisfaction/", satisfaction.satisfaction, name="satisfaction"),
    path("pulse/", satisfaction.team_pulse, name="pulse"),
    path("knowledge/", knowledge.knowledge_reports, name="knowledge"),
]
