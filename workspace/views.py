"""The agent's pages: queues and the ticket page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from servicedesk.database import custom_plans
from servicedesk.http import AuthedHtmxRequest
from servicedesk.pagination import BoundedPage
from servicedesk.rendering import render, render_fragments
from surveys import on_ticket
from surveys.models import Answer
from surveys.questions import label_of
from tickets import reference, services, sla_reports
from tickets.forms import add_service_error
from tickets.models import Attachment, Comment, Ticket, TicketEvent, TicketQuerySet

from .filters import TicketFilter
from .forms import AssignForm, CommentForm, StatusForm, TriageForm

QUEUES = {
    "unassigned": "Unassigned in my teams",
    "mine": "Mine",
    "team": "My teams",
    "all": "All open",
}
# What a queue row shows and its SLA standing reads: a row never loads more, and anything
# else it touched would cost a query per row (the tests count them).
ROW_FIELDS = (
    "subject",
    "category",
    "status",
    "priority",
    "created_at",
    "updated_at",
    "service",
    "team",
    "assignee",
    "requester__full_name",
    "requester__email",
    "sla_policy",
    "sla_running_since",
    "sla_due_at",
    "response_outcome",
    "resolution_outcome",
    "update_owed_since",
    "update_due_at",
)
# What a history line shows of an event and its actor (not the actor's whole account row).
HISTORY_FIELDS = (
    "ticket_id",
    "kind",
    "before",
    "after",
    "created_at",
    "actor__full_name",
    "actor__email",
)
TICKET_PARTIALS = {"ticket-sidebar", "ticket-tab", "comment-thread", "ticket-history"}


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The workspace does not exist for end users: they get the same 404 as a missing page."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedHtmxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff_member:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def get_ticket(request: AuthedHtmxRequest, pk: int, *, for_page: bool = False) -> Ticket:
    """The ticket `pk` if the person may see it; `for_page` also reads, in the same row,
    what only the whole page shows (the requester's survey answers)."""
    tickets = Ticket.objects.visible_to(request.user).select_related(
        "requester__department", "service", "team", "assignee", "sla_policy__calendar"
    )
    if for_page:
        tickets = on_ticket.with_answers(tickets, request.user)
    return get_object_or_404(tickets, pk=pk)


@staff_required
@require_GET
def queue(request: AuthedHtmxRequest) -> HttpResponse:
    # Someone in no team (an admin, say) starts on every open ticket rather than an empty queue.
    name = request.GET.get("queue", "unassigned" if request.user.team_ids else "all")
    if name not in QUEUES:
        name = "unassigned"
    visible = Ticket.objects.visible_to(request.user)
    filterset = TicketFilter(
        request.GET, queryset=visible.in_queue(name, request.user), user=request.user
    )
    known = reference.current()  # the page's one read of the shared cache's version
    page = _queue_page(request, filterset, visible, known)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav": "queues",
        "queue": name,
        "filter": filterset,
        "page_obj": page,
        "query_string": params.urlencode(),
    }
    if request.htmx and request.htmx.target == "ticket-list":
        return render(request, "workspace/queue.html", context, fragments=["ticket-list"])
    counts = visible.queue_counts(request.user)
    # The filter bar lists services, teams and people: cached under their version, so an
    # edit of any of them replaces it at once.
    context["filter_key"] = f"{name}?{context['query_string']}@{known.version}"
    context["queues"] = [(key, label, counts[key]) for key, label in QUEUES.items()]
    return render(request, "workspace/queue.html", context)


def _queue_page(
    request: AuthedHtmxRequest,
    filterset: TicketFilter,
    visible: TicketQuerySet,
    known: reference.Reference,
) -> BoundedPage:
    """One page of the queue: its rows, their related rows and where each stands on its SLA."""
    # Page over ids first, then load the 25 rows: joining before the sort and limit would
    # join every match of a broad search.
    with custom_plans(when=bool(request.GET.get("q", "").strip())):
        page = BoundedPage.of(
            filterset.qs.values_list("pk", flat=True), number=request.GET.get("page"), per_page=25
        )
    rows = visible.select_related("requester").only(*ROW_FIELDS).in_bulk(page.object_list)
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    reference.attach(page.object_list, reference=known)
    sla_reports.standings(page.object_list, now=timezone.now())
    return page


def _ticket_context(request: AuthedHtmxRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    tab = request.GET.get("tab", "conversation")
    context: dict[str, Any] = {
        "nav": "queues",
        "ticket": ticket,
        "tab": tab if tab in ("conversation", "history") else "conversation",
        "assign_form": AssignForm(
            ticket=ticket,
            initial={"assignee": ticket.assignee_id, "version": ticket.version},
        ),
        "status_form": StatusForm(
            ticket=ticket, initial={"status": ticket.status, "version": ticket.version}
        ),
        "triage_form": TriageForm(
            user=request.user,
            reference=reference.current(),
            initial={
                "priority": ticket.priority,
                "service": ticket.service_id,
                "team": ticket.team_id,
                "version": ticket.version,
            },
        ),
        "comment_form": CommentForm(),
        "sla": sla_reports.standing(ticket, now=timezone.now()),
        "sla_targets": sla_reports.targets(ticket, now=timezone.now()),
        "sla_events": TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_"),
        "survey_answers": _survey_answers(request, ticket),
        "label_of": label_of,
        "now": timezone.now(),
        **extra,
    }
    if context["tab"] == "history":
        context["events"] = (
            TicketEvent.objects.visible_to(request.user)
            .filter(ticket=ticket)
            .select_related("actor")
            .only(*HISTORY_FIELDS)
        )
    else:
        context["comments"] = (
            Comment.objects.visible_to(request.user).filter(ticket=ticket).for_thread()
        )
        context["files_by_comment"] = {}
        if ticket.attachment_count:  # most tickets have none: then not even a query is built
            files = Attachment.objects.visible_to(request.user).filter(ticket=ticket)
            context["files_by_comment"] = files.by_comment()
    return context


def _survey_answers(request: AuthedHtmxRequest, ticket: Ticket) -> Callable[[], list] | None:
    """The requester's survey answers about the ticket, read when the page shows them.

    Only a resolved or closed ticket can have them (a reopen cancels an unanswered survey),
    so other tickets cost no query. The ticket page reads them with the ticket itself
    (`get_ticket(for_page=True)`); a page shown after a change reads them when it shows
    them, and htmx fragments, which do not show them, not at all.
    """
    if ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        return None
    read = on_ticket.answers_of(ticket)
    if read is not None:
        return lambda: read

    def answers() -> list[Answer]:
        read = Answer.objects.visible_to(request.user).filter(invitation__ticket_id=ticket.pk)
        return sorted(read.select_related("follow_up"), key=on_ticket.asked_first)

    return answers


def _render_ticket(
    request: AuthedHtmxRequest, ticket: Ticket, partial: str | None = None, **extra: Any
) -> HttpResponse:
    fragment = partial or (request.htmx.target if request.htmx else None)
    fragments = [fragment] if request.htmx and fragment in TICKET_PARTIALS else []
    context = _ticket_context(request, ticket, **extra)
    return render(request, "workspace/ticket_detail.html", context, fragments=fragments)


@staff_required
@require_GET
def ticket_detail(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, get_ticket(request, pk, for_page=not request.htmx))


def _after_change(
    request: AuthedHtmxRequest,
    ticket: Ticket,
    error: ValidationError | None,
    notice: str,
    *,
    kept: dict[str, Any] | None = None,
) -> HttpResponse:
    """Answer a sidebar action: the fresh sidebar for htmx, a redirect otherwise.

    A refused status change keeps what the agent typed (`kept`: the question for the
    requester) in a form carrying the ticket's current version, so nothing is lost.
    """
    ticket = get_ticket(request, ticket.pk)
    forms: dict[str, Any] = {}
    if error and kept:
        # Bound, so the field that was wrong says so; with the current version, so the
        # agent can send it again as it stands.
        forms["status_form"] = StatusForm({**kept, "version": ticket.version}, ticket=ticket)
    if not request.htmx:
        if not error:
            messages.success(request, notice)
            return redirect("workspace:ticket-detail", pk=ticket.pk)
        if not forms:
            messages.error(request, " ".join(error.messages))
            return redirect("workspace:ticket-detail", pk=ticket.pk)
        return _render_ticket(request, ticket, error=error, **forms)
    response = _render_ticket(
        request, ticket, "ticket-sidebar", error=error, notice=None if error else notice, **forms
    )
    return trigger_client_event(response, "ticket-thread-changed") if not error else response


def _form_error(form: Any) -> ValidationError:
    return ValidationError([error for errors in form.errors.values() for error in errors])


@staff_required
@require_POST
def ticket_take(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    try:
        services.take_ticket(ticket, by=request.user)
    except ValidationError as error:
        return _after_change(request, ticket, error, "")
    return _after_change(request, ticket, None, "You have this ticket now.")


@staff_required
@require_POST
def ticket_assign(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    form = AssignForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _after_change(request, ticket, _form_error(form), "")
    try:
        services.assign_ticket(
            ticket,
            agent=form.cleaned_data["assignee"],
            version=form.cleaned_data["version"],
            by=request.user,
        )
    except ValidationError as error:
        return _after_change(request, ticket, error, "")
    return _after_change(request, ticket, None, "Assignment saved.")


@staff_required
@require_POST
def ticket_status(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    form = StatusForm(request.POST, ticket=ticket)
    kept = {name: request.POST.get(name, "") for name in ("status", "question")}
    if not form.is_valid():
        return _after_change(request, ticket, _form_error(form), "", kept=kept)
    if form.cleaned_data["status"] == ticket.status:
        return _after_change(
            request,
            ticket,
            None,
            f"No change: it is already {ticket.get_status_display().lower()}.",
        )
    try:
        services.change_status(ticket, **form.cleaned_data, by=request.user)
    except ValidationError as error:
        return _after_change(request, ticket, error, "", kept=kept)
    return _after_change(request, ticket, None, "Status changed.")


@staff_required
@require_POST
def ticket_update(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    form = TriageForm(request.POST, user=request.user)
    if not form.is_valid():
        return _after_change(request, ticket, _form_error(form), "")
    try:
        services.update_ticket(ticket, **form.cleaned_data, by=request.user)
    except ValidationError as error:
        return _after_change(request, ticket, error, "")
    return _after_change(request, ticket, None, "Ticket updated.")


@staff_required
@require_POST
def ticket_comment(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_comment(
                ticket,
                body=data["body"],
                internal=form.internal,
                files=data["files"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if not request.htmx:
                messages.success(
                    request,
                    "Internal note added." if form.internal else "Reply sent.",
                )
                return redirect("workspace:ticket-detail", pk=ticket.pk)
            # The editor stays in the mode just used: notes often come in a row.
            editor = CommentForm(initial={"mode": form.cleaned_data["mode"]})
            return _thread_and_sidebar(request, get_ticket(request, pk), editor)
    return _render_ticket(request, ticket, "ticket-tab", comment_form=form)


def _thread_and_sidebar(
    request: AuthedHtmxRequest, ticket: Ticket, editor: CommentForm
) -> HttpResponse:
    """After a reply: the new thread, and the sidebar swapped out of band in the same response.

    A reply can change the status and the SLA; sending the sidebar with the thread (rather
    than asking the page to fetch it afterwards) means it never refreshes later, under
    an agent who has started to use its forms.
    """
    context = {**_ticket_context(request, ticket, comment_form=editor), "oob": True}
    html = render_fragments(
        request, "workspace/ticket_detail.html", context, fragments=["ticket-tab", "ticket-sidebar"]
    )
    return HttpResponse(html)
