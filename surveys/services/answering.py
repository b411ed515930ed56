"""Answers through the links of survey emails: recorded once, changeable for a short while."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from surveys import followups
from surveys.links import Link, LinkRefused, refusal_for
from surveys.models import SCORE_RANGES, Answer, Instrument, Invitation, SurveySettings
from tickets.models import OutboxMessage

COMMENT_MAX_LENGTH = 2000


def check_score(instrument: str, score: int, *, field: str = "score") -> None:
    low, high = SCORE_RANGES[instrument]
    if not low <= score <= high:
        raise ValidationError({field: f"Choose a score from {low} to {high}."})


@transaction.atomic
def record_answer(
    link: Link, *, score: int, comment: str = "", ces: int | None = None, now: datetime
) -> list[Answer]:
    """Record the score a link's invitation asks for (and the CES after it), or change them.

    An invitation takes one answer per instrument. Within the settings' change window the
    same link changes the answers instead; after it, or once the invitation expired, was
    cancelled or its ticket reopened, the link is refused (LinkRefused) and nothing is stored.
    Bad scores raise ValidationError before anything is read.
    """
    check_score(link.instrument, score)
    if ces is not None:
        if not link.invitation.asks_ces:
            raise ValidationError({"ces": "This survey does not ask that question."})
        check_score(Instrument.CES, ces, field="ces")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"comment": f"Keep the comment under {COMMENT_MAX_LENGTH} characters."}
        )
    window = timedelta(minutes=SurveySettings.load().change_window_minutes)
    # Two submits of one link (a double click, two tabs) race here: the lock makes the
    # second wait for the first, then find its answer and change it, so one row remains.
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .get(pk=link.invitation.pk)
    )
    refusal = refusal_for(invitation, now=now, change_window=window)
    if refusal is not None:
        raise LinkRefused(refusal)
    scores = {link.instrument: (score, comment)}
    if ces is not None:
        scores[Instrument.CES] = (ces, "")
    answers = []
    if invitation.status == Invitation.Status.ANSWERED:
        for instrument, (value, text) in scores.items():
            answer, created = Answer.objects.get_or_create(
                invitation=invitation,
                instrument=instrument,
                defaults={"score": value, "comment": text, "answered_at": now},
            )
            if not created:
                answer.score, answer.comment, answer.changed_at = value, text, now
                answer.save(update_fields=["score", "comment", "changed_at"])
            answers.append(answer)
    else:
        answers = [
            Answer.objects.create(
                invitation=invitation,
                instrument=instrument,
                score=value,
                comment=text,
                answered_at=now,
            )
            for instrument, (value, text) in scores.items()
        ]
        if invitation.sent_at is None:
            # Answered before the beat saw the email go: the answer proves it went.
            message = OutboxMessage.objects.filter(pk=invitation.message_id or 0)
            invitation.sent_at = message.values_list("sent_at", flat=True).first() or now
        invitation.status = Invitation.Status.ANSWERED
        invitation.answered_at = now
        invitation.save(update_fields=["status", "answered_at", "sent_at"])
    for answer in answers:
        followups.open_follow_up_if_low(answer, now=now)  # closing the loop: surveys/followups.py
    return answers
