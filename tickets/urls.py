from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
