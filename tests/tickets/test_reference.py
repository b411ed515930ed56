"""Reference data kept per process for busy lists: no query per row, never stale after an edit."""

from collections.abc import Callable
from typing import Any

import pytest
from django.forms import MultiWidget
from django.urls import reverse

from accounts.models import User
from accounts.services import update_profile
from tests.factories import ServiceFactory, TeamFactory, TicketFactory, UserFactory
from tickets import reference
from tickets.models import BusinessCalendar, Service, SLAPolicy, Ticket


@pytest.fixture
def policy(db) -> SLAPolicy:
    calendar = BusinessCalendar.objects.create(name="Always", is_24x7=True)
    return SLAPolicy.objects.create(
        name="Standard",
        calendar=calendar,
        first_response_minutes=60,
        resolution_minutes=480,
        is_default=True,
    )


def rows(*tickets: Ticket) -> list[Ticket]:
    """Tickets as a list reads them: without their related rows."""
    return list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk"))


def test_attaches_related_rows_without_a_query_per_kind(
    agent, ticket, policy, django_assert_num_queries
):
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent, sla_policy=policy)
    reference.current()
    listed = rows(ticket)
    with django_assert_num_queries(0):
        reference.attach(listed)
        assert (listed[0].service.name, listed[0].team.name) == ("Email & Calendar", "Service Desk")
        assert listed[0].assignee == agent
        policy = listed[0].sla_policy
        assert policy is not None
        assert policy.calendar.schedule().always


def test_ids_it_has_not_seen_cost_one_query_per_kind_not_per_row(
    agent, service, django_assert_num_queries
):
    reference.current()
    newcomers = [ServiceFactory.create(owner_team=service.owner_team) for _ in range(3)]
    former_agent = UserFactory.create(role=User.Role.END_USER)  # assigned, then left the staff
    tickets = [TicketFactory.create(service=s, assignee=former_agent) for s in newcomers]
    listed = rows(*tickets)
    with django_assert_num_queries(2):  # the new services, the person no longer staff
        reference.attach(listed)
        assert [t.service.name for t in listed] == [s.name for s in newcomers]
        assert {t.assignee for t in listed} == {former_agent}


def test_someone_no_longer_staff_does_not_reload_it_on_every_page(
    time_machine, agent, ticket, django_assert_num_queries
):
    time_machine.move_to("2026-11-24 09:00", tick=False)
    agent.role = User.Role.END_USER  # moved to another job, still named on the ticket
    agent.save(update_fields=["role"])
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    loaded = reference.current()
    time_machine.shift(2)
    reference.attach(rows(ticket))  # reloads once and reads them on their own
    assert reference.current() is not loaded
    for _ in range(3):
        time_machine.shift(2)
        listed = rows(ticket)
        with django_assert_num_queries(0):  # no reload, no lookup: it is kept
            reference.attach(listed)
        assert listed[0].assignee == agent


def test_reloads_when_an_unknown_id_appears_after_a_second(time_machine, service):
    time_machine.move_to("2026-11-24 09:00", tick=False)
    first = reference.current()
    added = TicketFactory.create(service=ServiceFactory.create(owner_team=service.owner_team))
    time_machine.shift(2)
    reference.attach(rows(added))
    assert reference.current() is not first
    assert added.service_id in reference.current().by_field["service"]


def admin_post_data(page) -> dict:
    """What the admin's change form would post back unchanged, including its inlines."""
    data: dict[str, object] = {}
    forms = [page.context["adminform"].form]
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data |= {management[name].html_name: management[name].value() for name in management.fields}
        forms += formset.formset.forms
    for form in forms:
        for name in form.fields:
            value, widget = form[name].value(), form.fields[name].widget
            if isinstance(widget, MultiWidget):  # the date and time of a moment
                for index, part in enumerate(widget.decompress(value) or []):
                    data[f"{form[name].html_name}_{index}"] = "" if part is None else part
            elif value is True:
                data[form[name].html_name] = "on"
            elif value not in (None, False):
                data[form[name].html_name] = value
    return data


def test_a_rename_in_the_admin_shows_at_once_in_every_process(
    client_as, admin_user, ticket, service, django_capture_on_commit_callbacks
):
    one, two = reference.Holder(), reference.Holder()  # two web processes
    for holder in (one, two):
        listed = rows(ticket)
        holder.attach(listed)
        assert listed[0].service.name == "Email & Calendar"
    client = client_as(admin_user)
    url = reverse("admin:tickets_service_change", args=[service.pk])
    data = admin_post_data(client.get(url)) | {"name": "Mail"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    for holder in (one, two):
        listed = rows(ticket)
        holder.attach(listed)
        assert listed[0].service.name == "Mail"


def test_a_name_changed_by_a_service_shows_at_once_in_every_process(
    agent, ticket, django_capture_on_commit_callbacks
):
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    one, two = reference.Holder(), reference.Holder()
    for holder in (one, two):
        holder.attach(rows(ticket))
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(agent, full_name="Sam Patel-Okafor", phone="", job_title="")
    for holder in (one, two):
        listed = rows(ticket)
        holder.attach(listed)
        assignee = listed[0].assignee
        assert assignee is not None
        assert assignee.full_name == "Sam Patel-Okafor"


@pytest.mark.parametrize(
    "admin_url",
    [
        "admin:tickets_service_change",
        "admin:accounts_team_change",
        "admin:accounts_user_change",
        "admin:tickets_slapolicy_change",
        "admin:tickets_businesscalendar_change",
    ],
)
def test_every_save_in_the_reference_admins_bumps_the_version(
    admin_url, client_as, admin_user, agent, service, policy, django_capture_on_commit_callbacks
):
    obj = {
        "service": service,
        "team": service.owner_team,
        "user": agent,
        "slapolicy": policy,
        "businesscalendar": policy.calendar,
    }[admin_url.rsplit("_", 2)[1]]
    client = client_as(admin_user)
    url = reverse(admin_url, args=[obj.pk])
    data = admin_post_data(client.get(url))
    before = reference.version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert reference.version() != before


@pytest.mark.parametrize("model", ["tickets_service", "accounts_team", "tickets_slapolicy"])
def test_deleting_reference_rows_in_the_admin_bumps_the_version(
    model, client_as, admin_user, django_capture_on_commit_callbacks
):
    make: dict[str, Callable[[], Any]] = {
        "tickets_service": lambda: ServiceFactory.create(owner_team=TeamFactory.create()),
        "accounts_team": TeamFactory,
        "tickets_slapolicy": lambda: SLAPolicy.objects.create(
            name="Spare",
            calendar=BusinessCalendar.objects.create(name="Spare", is_24x7=True),
            first_response_minutes=1,
            resolution_minutes=2,
        ),
    }
    obj = make[model]()
    client = client_as(admin_user)
    before = reference.version()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(f"admin:{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
    assert not type(obj).objects.filter(pk=obj.pk).exists()
    assert reference.version() != before


def test_the_queue_page_reads_the_shared_version_once(client_as, agent, ticket):
    """The one cache round trip reference data add to a page, however many tickets it lists."""
    from django.core.cache import caches

    client = client_as(agent)
    url = reverse("workspace:queue")
    client.get(url, {"queue": "all"})  # warm: the filter bar is cached
    backend = caches["default"]
    calls, depth = [], [0]
    names = ["get", "get_many", "set", "set_many", "add", "delete", "incr", "has_key", "touch"]

    def counted(name):
        original = getattr(backend, name)

        def call(*args, **kwargs):
            if not depth[0]:  # the local cache's get_many calls get: one trip, not three
                calls.append(name)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in names:
        setattr(backend, name, counted(name))
    try:
        client.get(url, {"queue": "all"})
    finally:
        for name in names:
            delattr(backend, name)
    assert calls == ["get_many", "get"]  # the version, then the cached filter bar


def test_a_change_behind_the_services_back_shows_after_the_safety_max_age(
    time_machine, ticket, service
):
    time_machine.move_to("2026-11-24 09:00", tick=False)
    reference.current()
    Service.objects.filter(pk=service.pk).update(name="Mail")  # a shell, raw SQL: no bump
    listed = rows(ticket)
    reference.attach(listed)
    assert listed[0].service.name == "Email & Calendar"
    time_machine.shift(reference.MAX_AGE_SECONDS + 1)
    listed = rows(ticket)
    reference.attach(listed)
    assert listed[0].service.name == "Mail"
