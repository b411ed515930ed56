"""Admins edit the survey rules and settings; invitations, answers, follow-ups and the pulse
are written by the services only, so here they are read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from servicedesk.admin import ReadOnlyAdmin

from .models import (
    Answer,
    FollowUp,
    Invitation,
    PulseParticipation,
    PulseResponse,
    PulseRound,
    SurveyRule,
    SurveySettings,
)


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    """The one settings row: it can be changed, never added twice or deleted."""

    list_display = ["__str__", "budget_days", "nps_enabled", "nps_every_days", "nps_sample_percent"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SurveySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(SurveyRule)
class SurveyRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "service",
        "department",
        "ask_csat",
        "ask_ces",
        "delay_minutes",
        "sample_percent",
        "remind_after_days",
        "expire_after_days",
        "is_default",
        "is_active",
    ]
    list_filter = ["is_active", "ask_csat", "ask_ces"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("instrument", "score", "comment", "answered_at", "changed_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Written by the invitation beat; answered through the links in the email."""

    list_display = [
        "pk",
        "instrument",
        "ticket",
        "person",
        "status",
        "skip_reason",
        "created_at",
        "sent_at",
        "expires_at",
    ]
    list_filter = ["status", "instrument", "skip_reason"]
    search_fields = ["person__email"]
    list_select_related = ["ticket", "person"]
    raw_id_fields = ["ticket", "person", "agent", "message", "reminder_message"]
    exclude = ["nonce"]
    inlines = [AnswerInline]
    show_full_result_count = False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ["invitation", "instrument", "score", "answered_at", "changed_at"]
    list_filter = ["instrument", "score"]
    show_full_result_count = False


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    """Team leads work follow-ups in the workspace."""

    list_display = ["answer", "ticket", "team", "owner", "status", "due_at", "outcome"]
    list_filter = ["status", "outcome", "team"]


@admin.register(PulseRound)
class PulseRoundAdmin(ReadOnlyAdmin):
    list_display = ["month", "opens_at", "closes_at"]


@admin.register(PulseResponse)
class PulseResponseAdmin(ReadOnlyAdmin):
    """Anonymous answers; the reports show them only for groups of five or more."""

    list_display = ["round", "team", "department", "enps", "workload"]


@admin.register(PulseParticipation)
class PulseParticipationAdmin(ReadOnlyAdmin):
    """Who answered a round, so nobody is asked twice; it holds no answer."""

    list_display = ["round", "person"]
