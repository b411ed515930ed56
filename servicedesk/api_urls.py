from django.urls import path

from tickets import api as tickets_api

app_name = "api"

urlpatterns = [
    path("tickets/", tickets_api.ticket_list, name="ticket-list"),
    path("tickets/<int:pk>/", tickets_api.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/take/", tickets_api.ticket_take, name="ticket-take"),
    path("tickets/<int:pk>/assign/", tickets_api.ticket_assign, name="ticket-assign"),
]
