"""The survey answer page: reached from the email's buttons, without signing in.

GET and HEAD only show the page (mail scanners open every link); POST records. No session
is read or created and no cookie set: the signed token in the link is the permission,
which is also why the POST needs no CSRF token (a forger would need the token itself).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from servicedesk.rendering import render
from surveys import links, services
from surveys.links import Link, LinkRefused
from surveys.models import Answer, Invitation, SurveySettings
from surveys.questions import SCALES, label_of

from .forms import SurveyAnswerForm

REFUSAL_STATUS = {
    LinkRefused.INVALID: 404,
    LinkRefused.EXPIRED: 410,
    LinkRefused.ANSWERED: 409,
    LinkRefused.CANCELLED: 410,
}


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer(request: HttpRequest, invitation_id: int, token: str) -> HttpResponse:
    now = timezone.now()
    window = timedelta(minutes=SurveySettings.load().change_window_minutes)
    try:
        link = links.open_link(invitation_id, token)
        if reason := links.refusal_for(link.invitation, now=now, change_window=window):
            raise LinkRefused(reason)
        if request.method == "POST":
            return submit_answer(request, link, now=now, window=window)
        return answer_page(request, link)
    except LinkRefused as refused:
        context = {"anonymous_page": True, "reason": refused.reason}
        status = REFUSAL_STATUS[refused.reason]
        return render(request, "portal/survey_closed.html", context, status=status)


def submit_answer(
    request: HttpRequest, link: Link, *, now: datetime, window: timedelta
) -> HttpResponse:
    form = answer_form(link, data=request.POST)
    if form.is_valid():
        try:
            answers = services.record_answer(link, now=now, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "portal/survey_thanks.html", thanks(link, answers, window))
    return render(request, "portal/survey_answer.html", page(link, form), status=400)


def answer_page(request: HttpRequest, link: Link) -> HttpResponse:
    """The link's score preselected (over the answer given, when changing it), and a confirm
    button. A score in the link that is not on the scale is a 400 naming the scale: the page
    never guesses what a damaged link meant."""
    form = answer_form(link, initial=given_answers(link))
    raw = request.GET.get("score")
    if raw is not None:
        if raw.strip() not in {str(choice.score) for choice in SCALES[link.instrument]}:
            form = answer_form(link, data={"score": raw[:20]})
            form.is_valid()  # its error names the scale
            return render(request, "portal/survey_answer.html", page(link, form), status=400)
        form.initial["score"] = int(raw)
    return render(request, "portal/survey_answer.html", page(link, form))


def answer_form(link: Link, **kwargs: Any) -> SurveyAnswerForm:
    return SurveyAnswerForm(instrument=link.instrument, asks_ces=link.invitation.asks_ces, **kwargs)


def given_answers(link: Link) -> dict[str, object]:
    """The answers already recorded, as the form's initial values (empty before answering)."""
    if link.invitation.status != Invitation.Status.ANSWERED:
        return {}
    initial: dict[str, object] = {}
    for answer in Answer.objects.filter(invitation=link.invitation):
        if answer.instrument == link.instrument:
            initial.update(score=answer.score, comment=answer.comment)
        else:
            initial["ces"] = answer.score
    return initial


def page(link: Link, form: SurveyAnswerForm) -> dict[str, object]:
    return {
        "anonymous_page": True,
        "invitation": link.invitation,
        "ticket": link.invitation.ticket,
        "form": form,
        "scales": SCALES,
        "changing": link.invitation.status == Invitation.Status.ANSWERED,
    }


def thanks(link: Link, answers: list[Answer], window: timedelta) -> dict[str, object]:
    primary = next(a for a in answers if a.instrument == link.instrument)
    return {
        "anonymous_page": True,
        "ticket": link.invitation.ticket,
        "answer_label": label_of(primary.instrument, primary.score),
        "changed": primary.changed_at is not None,
        "change_until": primary.answered_at + window,
        "comment": primary.comment,
    }
