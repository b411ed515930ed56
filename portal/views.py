"""The end user's pages: home, getting help, and following their own tickets."""

import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from knowledge import searchlog
from servicedesk.http import AuthedHtmxRequest
from servicedesk.pagination import BoundedPage
from servicedesk.rendering import render
from tickets import reference, services
from tickets.forms import add_service_error
from tickets.models import Attachment, Comment, Service, Ticket, TicketQuerySet

from .forms import ReopenForm, ReplyForm, SearchForm, TicketForm
from .surveys_waiting import waiting_for

# A suggestion box's id, as the submit form writes it.
BOX = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What the portal's lists of tickets show: rows of only these load a third faster.
LIST_FIELDS = ("subject", "category", "status", "created_at", "updated_at", "service__name")
# What the ticket page shows of its ticket (the tests count its queries: nothing else is read).
DETAIL_FIELDS = (
    "subject",
    "description",
    "category",
    "status",
    "requester",
    "service",
    "team",
    "assignee",
    "sla_policy",
    "created_at",
    "updated_at",
    "resolved_at",
    "first_responded_at",
    "response_due_at",
    "update_due_at",
    "resolution_due_at",
    "attachment_count",
)


def my_tickets(user: User) -> TicketQuerySet:
    """The portal shows people the tickets they asked for, whatever their role."""
    return Ticket.objects.visible_to(user).filter(requester=user)


def my_ticket_list(user: User) -> TicketQuerySet:
    return my_tickets(user).select_related("service").only(*LIST_FIELDS)


def get_my_ticket(request: AuthedHtmxRequest, pk: int, *, fields: tuple[str, ...] = ()) -> Ticket:
    """One of the person's own tickets; anyone else's is a 404.

    Pages that only show it read just the `fields` they show; changes read it whole.
    """
    tickets = my_tickets(request.user)
    if fields:
        tickets = tickets.only(*fields)
    ticket = get_object_or_404(tickets, pk=pk)
    ticket.requester = request.user  # my_tickets() holds only tickets they asked for
    return ticket


@login_required
@require_GET
def home(request: AuthedHtmxRequest) -> HttpResponse:
    open_tickets = my_ticket_list(request.user).open().order_by("-updated_at")
    context = {
        "nav": "portal",
        "open_tickets": open_tickets[:10],
        "search_form": SearchForm(),
        "surveys_waiting": waiting_for(request.user, limit=3),
    }
    return render(request, "portal/home.html", context)


@login_required
@require_GET
def ticket_list(request: AuthedHtmxRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    tickets = my_ticket_list(request.user).order_by("-updated_at")
    if show == "open":
        tickets = tickets.open()
    elif show == "closed":
        tickets = tickets.exclude(status__in=Ticket.OPEN_STATUSES)
    page = BoundedPage.of(tickets, number=request.GET.get("page"), per_page=20)
    context = {
        "nav": "my-tickets",
        "page_obj": page,
        "show": show,
        "query_string": f"show={show}",
    }
    return render(request, "portal/ticket_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: AuthedHtmxRequest) -> HttpResponse:
    # What the form lists and the service needs of the choice; descriptions stay unread.
    catalogue = (
        Service.objects.visible_to(request.user).active().only("name", "owner_team", "is_active")
    )
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        services=catalogue,
        initial={
            "submission_token": uuid.uuid4(),
            "category": request.GET.get("category", "incident"),
            # Carried from a search ("Still need help?") or the "search first" step.
            "subject": request.GET.get("subject", "")[:200],
            "service": request.GET.get("service", "")[:12],
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.create_ticket(
                requester=request.user,
                by=request.user,
                service=data["service"],
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                impact=data["impact"],
                urgency=data["urgency"],
                files=data["files"],
                submission_token=data["submission_token"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        except services.SubmissionLimitReached as limited:
            return slow_down(request, form, limited)
        else:
            # The searches of the last half hour did not spare the person this ticket.
            searchlog.record_ticket(request.user, ticket)
            messages.success(
                request,
                f"Thanks, we have your ticket {ticket.number}. We'll email you as it moves.",
            )
            return redirect("portal:ticket-detail", pk=ticket.pk)
    return render(request, "portal/ticket_create.html", _create_context(request, form))


def _create_context(request: AuthedHtmxRequest, form: TicketForm) -> dict[str, object]:
    # One suggestion box per form: its requests update one row of the search log. The same
    # form sent back with an error keeps its box.
    box = request.POST.get("box", "")
    if not BOX.fullmatch(box):
        box = str(uuid.uuid4())
    # The article the person came from ("Still need help?"), not suggested to them again.
    not_article = request.GET.get("not", "")
    return {
        "nav": "new-ticket",
        "form": form,
        "box": box,
        "not_article": not_article if not_article.isdigit() and len(not_article) < 12 else "",
    }


def slow_down(
    request: AuthedHtmxRequest, form: TicketForm, limited: services.SubmissionLimitReached
) -> HttpResponse:
    """The form again, as they filled it in, saying when they can send it: a 429."""
    form.add_error(None, str(limited))
    context = _create_context(request, form)
    response = render(request, "portal/ticket_create.html", context, status=429)
    response["Retry-After"] = str(limited.retry_after.seconds)
    return response


@login_required
@require_GET
def ticket_detail(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_my_ticket(request, pk, fields=DETAIL_FIELDS)
    return render(request, "portal/ticket_detail.html", _detail_context(request, ticket))


def _detail_context(
    request: AuthedHtmxRequest, ticket: Ticket, **forms: object
) -> dict[str, object]:
    reference.attach([ticket])  # its service, team and assignee, to show
    # The portal shows the public conversation, even to staff following their own ticket.
    comments = Comment.objects.visible_to(request.user).filter(ticket=ticket, is_internal=False)
    files = {}
    if ticket.attachment_count:  # most tickets have none: then not even a query is built
        files = Attachment.objects.visible_to(request.user).filter(ticket=ticket).by_comment()
    return {
        "nav": "my-tickets",
        "ticket": ticket,
        "comments": comments.for_thread(),
        "files_by_comment": files,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "now": timezone.now(),
    }


@login_required
@require_POST
def ticket_reply(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_my_ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_comment(
                ticket,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your reply was sent.")
            return redirect("portal:ticket-detail", pk=ticket.pk)
    context = _detail_context(request, ticket, reply_form=form)
    return render(request, "portal/ticket_detail.html", context)


@login_required
@require_POST
def ticket_confirm(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_my_ticket(request, pk)
    try:
        services.confirm_resolution(ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Thanks for confirming. The ticket is closed.")
    return redirect("portal:ticket-detail", pk=ticket.pk)


@login_required
@require_POST
def ticket_reopen(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_my_ticket(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.reopen_ticket(ticket, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The ticket is open again; the team has been told.")
            return redirect("portal:ticket-detail", pk=ticket.pk)
    context = _detail_context(request, ticket, reopen_form=form)
    return render(request, "portal/ticket_detail.html", context)


@login_required
@require_POST
def ticket_cancel(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_my_ticket(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.info(request, "Nothing changed: confirm that you want to withdraw the ticket.")
        return redirect("portal:ticket-detail", pk=ticket.pk)
    try:
        services.cancel_ticket(ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The ticket is withdrawn. Log a new one any time.")
    return redirect("portal:ticket-detail", pk=ticket.pk)
