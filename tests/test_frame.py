"""The page frame (navbar and head) links where `{% url %}` and `{% static %}` would."""

import pytest
from django.templatetags.static import static
from django.urls import reverse

from servicedesk.context_processors import FRAME_ASSETS, FRAME_LINKS, frame

pytestmark = pytest.mark.django_db


def test_frame_holds_what_reverse_and_static_give() -> None:
    links = frame()
    for name, route in FRAME_LINKS.items():
        assert links[name] == reverse(route)
    for name, path in FRAME_ASSETS.items():
        assert links[name] == static(path)
    assert "htmx" in links["htmx_script"]


def test_end_user_frame_links_to_the_portal(client_as, requester) -> None:
    page = client_as(requester).get(reverse("portal:home")).content.decode()
    for route in ("portal:home", "portal:ticket-list", "portal:ticket-create", "accounts:logout"):
        assert f'="{reverse(route)}"' in page
    assert f'href="{static("vendor/bootstrap/bootstrap.min.css")}"' in page
    assert reverse("workspace:queue") not in page


def test_agent_frame_links_to_the_queues(client_as, agent) -> None:
    page = client_as(agent).get(reverse("workspace:queue")).content.decode()
    assert f'href="{reverse("workspace:queue")}"' in page
    assert f'href="{reverse("admin:index")}"' not in page


def test_frame_follows_a_change_of_settings(client_as, requester, settings) -> None:
    settings.DEV_MAIL_PAGE = True
    assert (
        reverse("devmail:list") in client_as(requester).get(reverse("portal:home")).content.decode()
    )
    settings.DEV_MAIL_PAGE = False
    assert "dev_mail" not in frame()
    page = client_as(requester).get(reverse("portal:home")).content.decode()
    assert reverse("devmail:list") not in page
