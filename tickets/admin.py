from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from servicedesk import versions
from servicedesk.admin import ReadOnlyAdmin, VersionedAdmin

from .calendars import BusinessCalendar, Holiday, WorkingHours, find_overlaps
from .models import Attachment, Comment, OutboxMessage, Service, SLAPolicy, Ticket, TicketEvent

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec


class WorkingHoursFormSet(forms.BaseInlineFormSet):
    """Refuse overlapping intervals on the same weekday, across all rows at once."""

    def clean(self) -> None:
        super().clean()
        rows = [
            (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
            for f in self.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and {"weekday", "start", "end"} <= set(f.cleaned_data)
        ]
        problems = find_overlaps(rows)
        if problems:
            raise ValidationError(problems)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(VersionedAdmin):
    versions_bumped = (versions.CATALOGUE,)
    list_display = ["name", "time_zone", "is_24x7"]
    inlines = [WorkingHoursInline, HolidayInline]
    actions = ["add_public_holidays"]

    @admin.action(description="Add next year's public holidays (UK)")
    def add_public_holidays(
        self, request: HttpRequest, queryset: QuerySet[BusinessCalendar]
    ) -> None:
        from .calendars import add_country_holidays

        added = sum(add_country_holidays(calendar, country="GB") for calendar in queryset)
        self.message_user(request, f"{added} holiday(s) added.")


class SLAPolicyForm(forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = [
            "name",
            "priority",
            "service",
            "department",
            "calendar",
            "first_response_minutes",
            "resolution_minutes",
            "next_update_minutes",
            "warn_at_percent",
            "escalate_on_breach",
            "is_default",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for field in ("first_response_minutes", "resolution_minutes", "next_update_minutes"):
            if data.get(field) is not None and data[field] <= 0:
                self.add_error(field, "A target must be more than zero minutes.")
        if (
            data.get("first_response_minutes")
            and data.get("resolution_minutes")
            and data["first_response_minutes"] > data["resolution_minutes"]
        ):
            self.add_error(
                "first_response_minutes", "The first response can't be due after the resolution."
            )
        calendar = data.get("calendar")
        if calendar and not calendar.is_24x7 and not calendar.hours.exists():
            self.add_error("calendar", "This calendar has no working hours yet.")
        others = SLAPolicy.objects.exclude(pk=self.instance.pk)
        if (
            not data.get("is_default")
            and not others.filter(is_default=True, is_active=True).exists()
        ):
            self.add_error(
                "is_default",
                "Keep one active default policy: it catches tickets no other policy matches.",
            )
        return data


@admin.register(SLAPolicy)
class SLAPolicyAdmin(VersionedAdmin):
    versions_bumped = (versions.CATALOGUE,)
    form = SLAPolicyForm
    list_display = [
        "name",
        "priority",
        "service",
        "department",
        "calendar",
        "first_response_minutes",
        "resolution_minutes",
        "next_update_minutes",
        "is_default",
        "is_active",
    ]
    list_filter = ["is_active", "calendar", "priority"]


@admin.register(Service)
class ServiceAdmin(VersionedAdmin):
    versions_bumped = (versions.CATALOGUE,)
    list_display = ["name", "owner_team", "is_active"]
    list_filter = ["is_active", "owner_team"]
    search_fields = ["name"]


WORKSPACE_NOTE = (
    "Tickets and comments change only in the workspace, where each change keeps the SLA "
    "clock, writes the audit trail and tells the people concerned. Here they are read-only."
)


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ("author", "is_internal", "body", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """For looking a ticket up; every change goes through the workspace and its services."""

    list_display = [
        "number",
        "subject",
        "status",
        "priority",
        "team",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "priority", "category", "team", "service"]
    search_fields = ["subject", "requester__email"]
    list_select_related = ["team", "assignee"]
    inlines = [CommentInline]
    show_full_result_count = False

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> _FieldsetSpec:
        fields = [name for name in self.get_fields(request, obj) if name != "workspace"]
        return [
            (None, {"fields": ["workspace"], "description": WORKSPACE_NOTE}),
            ("Ticket", {"fields": fields}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return ["workspace"]

    @admin.display(description="Change it in")
    def workspace(self, ticket: Ticket) -> str:
        url = reverse("workspace:ticket-detail", args=[ticket.pk])
        return format_html('<a href="{}">the workspace</a>', url)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    """Replies and notes are written on the ticket page (the workspace or the portal)."""

    list_display = ["ticket", "author", "is_internal", "created_at"]
    list_filter = ["is_internal"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Files arrive with tickets and replies (through the services); admins may remove one."""

    list_display = ["original_name", "ticket", "content_type", "size", "created_at"]
    raw_id_fields = ["ticket", "comment", "uploaded_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    """The audit trail is append-only, also for admins."""

    list_display = ["ticket", "kind", "actor", "created_at"]
    list_filter = ["kind"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Messages are written by the services and sent by the worker; a failed one can be retried."""

    list_display = [
        "kind",
        "recipient",
        "ticket",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    actions = ["retry_now"]

    @admin.action(description="Retry the selected messages now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        from django.utils import timezone

        updated = queryset.exclude(status=OutboxMessage.Status.SENT).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{updated} message(s) queued for delivery.")
