"""The team lead's follow-ups of low survey answers: the list, and one follow-up with its
record-contact and close forms. Leads see their teams', managers all their teams', admins all."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from servicedesk.http import AuthedHtmxRequest
from servicedesk.pagination import BoundedPage
from servicedesk.rendering import render
from surveys import followups
from surveys.models import FollowUp
from surveys.questions import label_of
from tickets.forms import add_service_error
from tickets.models import OutboxMessage

from .survey_forms import CloseForm, ContactForm
from .views import staff_required

SHOW = {"open": "Open", "closed": "Closed", "all": "All"}
DETAIL = "workspace/followups_detail.html"


def listed(user: Any) -> Any:
    return followups.follow_ups_for(user).select_related(
        "answer", "person", "ticket", "team", "owner"
    )


@staff_required
@require_GET
def followup_list(request: AuthedHtmxRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    show = show if show in SHOW else "open"
    rows = listed(request.user)
    if show != "all":
        rows = rows.filter(status=show)
    rows = rows.order_by("due_at", "pk") if show == "open" else rows.order_by("-created_at", "pk")
    page = BoundedPage.of(rows, number=request.GET.get("page"), per_page=50)
    context = {
        "nav": "followups",
        "show": show,
        "shows": SHOW,
        "page_obj": page,
        "query_string": f"show={show}",
        "now": timezone.now(),
        "label_of": label_of,
        "follow_up_days": settings.SURVEY_FOLLOW_UP_BUSINESS_DAYS,
        # An agent who leads no team has no follow-ups: the page says why.
        "leads": request.user.is_admin
        or request.user.is_manager
        or Team.objects.filter(lead=request.user).exists(),
    }
    return render(request, "workspace/followups.html", context)


def get_follow_up(request: AuthedHtmxRequest, pk: int) -> FollowUp:
    return get_object_or_404(
        listed(request.user).select_related("answer__invitation", "closed_by"), pk=pk
    )


def detail_context(request: AuthedHtmxRequest, follow_up: FollowUp, **forms: Any) -> dict:
    can_tell = followups.can_be_told(follow_up.person)
    initial = {"contacted_at": timezone.localtime().replace(second=0, microsecond=0)}
    message = None
    if follow_up.tell_requester:
        key = f"survey-we-did:{follow_up.pk}"
        message = OutboxMessage.objects.filter(key=key).only("status", "sent_at").first()
    return {
        "nav": "followups",
        "follow_up": follow_up,
        "answer": follow_up.answer,
        "invitation": follow_up.answer.invitation,
        "label_of": label_of,
        "now": timezone.now(),
        "can_tell": can_tell,
        "message": message,
        "contact_form": forms.get("contact_form") or ContactForm(initial=initial),
        "close_form": forms.get("close_form") or CloseForm(can_tell=can_tell),
    }


@staff_required
@require_GET
def followup_detail(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    follow_up = get_follow_up(request, pk)
    return render(request, DETAIL, detail_context(request, follow_up))


def after_action(
    request: AuthedHtmxRequest, follow_up: FollowUp, notice: str, **forms: Any
) -> HttpResponse:
    """A saved action: the fresh panel for htmx, a redirect otherwise; a refused one: its form."""
    if not forms and not request.htmx:
        messages.success(request, notice)
        return redirect("workspace:followup-detail", pk=follow_up.pk)
    follow_up = get_follow_up(request, follow_up.pk)
    context = {**detail_context(request, follow_up, **forms), "notice": None if forms else notice}
    fragments = ["follow-up-panel", "follow-up-status"] if request.htmx else []
    return render(request, DETAIL, context, fragments=fragments)


@staff_required
@require_POST
def followup_contact(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    follow_up = get_follow_up(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            followups.record_contact(follow_up, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return after_action(request, follow_up, "Contact recorded.")
    return after_action(request, follow_up, "", contact_form=form)


@staff_required
@require_POST
def followup_close(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    follow_up = get_follow_up(request, pk)
    form = CloseForm(request.POST, can_tell=followups.can_be_told(follow_up.person))
    if form.is_valid():
        try:
            followups.close_follow_up(follow_up, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            told = form.cleaned_data.get("tell_requester")
            notice = "Follow-up closed." + (f" {follow_up.person} will be told." if told else "")
            return after_action(request, follow_up, notice)
    return after_action(request, follow_up, "", close_form=form)
