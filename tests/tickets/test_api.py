"""The tickets API: status codes and payloads for limits and lost races."""

import time_machine
from django.urls import reverse

from tickets.models import Ticket


def new_ticket(service):
    return {"service": service.pk, "subject": "VPN", "description": "d"}


@time_machine.travel("2026-11-24 10:00:00+00:00", tick=False)
def test_api_past_the_submission_limit_is_a_429_with_retry_after(
    client_as, requester, other_requester, service, settings
):
    settings.TICKET_SUBMISSION_LIMITS = [(1, 600)]
    client = client_as(requester)
    url = reverse("api:ticket-list")
    assert client.post(url, new_ticket(service), content_type="application/json").status_code == 201
    response = client.post(url, new_ticket(service), content_type="application/json")
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "try again in 10 minutes" in response.json()["detail"]
    assert Ticket.objects.count() == 1
    others = client_as(other_requester).post(
        url, new_ticket(service), content_type="application/json"
    )
    assert others.status_code == 201
