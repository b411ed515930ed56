from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("images/<int:pk>/", views.image, name="image"),
]
