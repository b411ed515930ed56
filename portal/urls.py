from django.urls import include, path

from . import surveys, surveys_waiting, views

app_name = "portal"

ticket_urls = [
    path("", views.ticket_detail, name="ticket-detail"),
    path("reply/", views.ticket_reply, name="ticket-reply"),
    path("confirm/", views.ticket_confirm, name="ticket-confirm"),
    path("reopen/", views.ticket_reopen, name="ticket-reopen"),
    path("cancel/", views.ticket_cancel, name="ticket-cancel"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<int:pk>/", include(ticket_urls)),
    path("surveys/", surveys_waiting.surveys_waiting, name="surveys"),
    path("surveys/<int:invitation_id>/<str:token>/", surveys.survey_answer, name="survey-answer"),
]
