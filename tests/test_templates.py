"""The Jinja2 pages: links, widgets that obey their form, fragments, error pages, no-JS frame."""

import re
from pathlib import Path
from typing import cast

import pytest
from django import forms
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.jinja2 import url
from servicedesk.widgets import RadioSelect, Select
from tickets.models import Ticket
from tickets.services import AGENT_TRANSITIONS
from workspace.forms import StatusForm

LINKS = [
    "workspace:ticket-detail",
    "portal:ticket-detail",
    "tickets:attachment",
    "portal:ticket-cancel",
]


@given(name=st.sampled_from(LINKS), pk=st.integers(min_value=0, max_value=10**12))
def test_url_global_writes_what_reverse_writes(name: str, pk: int) -> None:
    assert url(name, pk) == reverse(name, args=[pk])


def test_url_global_takes_keyword_and_text_arguments() -> None:
    assert url("devmail:detail", "a.eml", 3) == reverse("devmail:detail", args=["a.eml", 3])
    assert url("workspace:queue") == reverse("workspace:queue")


class Sample(forms.Form):
    choice = forms.ChoiceField(
        choices=[("a", "Apple"), ("b", "<Banana>")],
        widget=Select(attrs={"class": "form-select", "data-x": "1"}),
    )
    pick = forms.ChoiceField(
        choices=[("a", "Apple"), ("b", "Banana")],
        widget=RadioSelect(attrs={"class": "btn-check"}),
        help_text="Choose one",
    )


def test_select_writes_the_forms_choices_attributes_and_value() -> None:
    form = Sample({"choice": "b"})
    field = cast(forms.ChoiceField, form.fields["choice"])
    field.choices = [("b", "<Banana>")]  # a form narrowing the choices
    html = str(form["choice"])
    assert html.startswith('<select class="form-select" data-x="1" id="id_choice" name="choice"')
    assert '<option value="b" selected>&lt;Banana&gt;</option>' in html
    assert "Apple" not in html


def test_select_marks_errors_for_assistive_technology() -> None:
    form = Sample({"choice": "zzz"})
    assert not form.is_valid()
    assert 'aria-invalid="true"' in str(form["choice"])


def test_radio_inputs_carry_the_widgets_attributes_and_their_labels() -> None:
    html = str(Sample({"pick": "a"})["pick"])
    assert html.count('class="btn-check"') == 2
    assert re.search(r'<input [^>]*id="id_pick_0" [^>]*value="a" checked', html)
    assert '<label class="form-check-label" for="id_pick_1">Banana</label>' in html


@pytest.mark.parametrize("status", Ticket.Status.values)
def test_status_menu_offers_only_the_moves_the_lifecycle_allows(status, ticket) -> None:
    ticket.status = status
    form = StatusForm(ticket=ticket, initial={"status": status, "version": 1})
    offered = set(re.findall(r'<option value="([a-z]+)"', str(form["status"])))
    assert offered == set(AGENT_TRANSITIONS[status]) | {status}


def test_status_form_refuses_a_move_it_does_not_offer(ticket) -> None:
    form = StatusForm({"status": "closed", "version": 1}, ticket=ticket)
    assert not form.is_valid()
    assert "can't be moved to" in form.errors["status"][0]


def test_fragment_cache_keeps_a_part_until_its_key_changes(settings) -> None:
    template = engines["jinja2"].from_string(
        "{% cache 60, 'k', version %}{{ value }}{% endcache %}"
    )
    assert template.render({"version": 1, "value": "first"}) == "first"
    assert template.render({"version": 1, "value": "second"}) == "first"
    assert template.render({"version": 2, "value": "second"}) == "second"


def test_pages_escape_what_people_typed_with_autoescape_on() -> None:
    assert cast(Jinja2, engines["jinja2"]).env.autoescape is True
    html = engines["jinja2"].from_string("{{ value }}").render({"value": "<b>x</b>"})
    assert html == "&lt;b&gt;x&lt;/b&gt;"


def test_account_menu_and_phone_navigation_work_without_javascript(client_as, agent) -> None:
    page = client_as(agent).get(reverse("workspace:queue")).content.decode()
    # The account menu is a disclosure (no script needed) holding profile and log out.
    menu = page[page.index('<details class="sd-account">') : page.index("</details>")]
    assert reverse("accounts:profile") in menu
    assert f'action="{reverse("accounts:logout")}"' in menu and 'type="submit"' in menu
    # Without JavaScript the page keeps the `no-js` class, which unfolds the phone menu.
    assert '<html lang="en" data-bs-theme="light" class="no-js">' in page
    css = Path("static/css/servicedesk.css").read_text()
    assert ".no-js .sd-navbar .navbar-collapse { display: flex !important;" in css
    assert 'classList.remove("no-js")' in Path("static/js/servicedesk.js").read_text()


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/no/such/page/", 404, "We can't find that page"),
        ("/workspace/tickets/999999/", 404, "We can't find that page"),
    ],
)
def test_error_pages_are_branded_and_plain(client_as, agent, path, status, words) -> None:
    response = client_as(agent).get(path)
    page = response.content.decode()
    assert response.status_code == status
    assert words.replace("'", "&#39;") in page or words in page
    assert "sd-navbar" in page and "Traceback" not in page


def test_csrf_failure_page_says_what_happened_and_saves_nothing(agent, ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        reverse("workspace:ticket-comment", args=[ticket.pk]), {"body": "x", "mode": "reply"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "That form had expired" in page and "Nothing was saved" in page
    assert "CSRF token" not in page and "Referer" not in page and "sd-navbar" in page
    assert not ticket.comments.exists()


def test_server_error_page_is_branded_and_shows_no_debug_output(
    settings, client, requester
) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    client.raise_request_exception = False
    client.force_login(requester)
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and "sd-navbar" in page
    assert "ZeroDivisionError" not in page and "Traceback" not in page


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [("/bad/", 400, "could not be read"), ("/forbidden/", 403, "You can't do that here")],
)
def test_bad_request_and_forbidden_pages_are_branded(
    settings, client, requester, path, status, words
) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    client.force_login(requester)
    response = client.get(path)
    assert response.status_code == status
    page = response.content.decode()
    assert words in page and "sd-navbar" in page


def test_templates_build_no_link_by_joining_text() -> None:
    """Links come from url(): a path glued from pieces breaks when a URL moves."""
    joined = re.compile(r"""~\s*["'][\w-]*/|\}\}[\w-]+/\{\{|url\(\)\s*~""")
    offenders = [
        str(path) for path in Path("templates").rglob("*.html") if joined.search(path.read_text())
    ]
    assert offenders == []
