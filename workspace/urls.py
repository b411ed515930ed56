from django.urls import include, path

from . import followups, pulse, views

app_name = "workspace"

ticket_urls = [
    path("", views.ticket_detail, name="ticket-detail"),
    path("take/", views.ticket_take, name="ticket-take"),
    path("assign/", views.ticket_assign, name="ticket-assign"),
    path("status/", views.ticket_status, name="ticket-status"),
    path("update/", views.ticket_update, name="ticket-update"),
    path("comments/", views.ticket_comment, name="ticket-comment"),
]

followup_urls = [
    path("", followups.followup_detail, name="followup-detail"),
    path("contact/", followups.followup_contact, name="followup-contact"),
    path("close/", followups.followup_close, name="followup-close"),
]

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:pk>/", include(ticket_urls)),
    path("follow-ups/", followups.followup_list, name="followups"),
    path("follow-ups/<int:pk>/", include(followup_urls)),
    path("pulse/", pulse.pulse, name="pulse"),
]
