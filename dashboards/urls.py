from django.urls import path

from . import knowledge, views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("knowledge/", knowledge.knowledge_reports, name="knowledge"),
]
