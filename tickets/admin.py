from django.contrib import admin

from .models import Attachment, Comment, OutboxMessage, Service, Ticket, TicketEvent


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_team", "is_active"]
    list_filter = ["is_active", "owner_team"]
    search_fields = ["name"]


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ["author", "is_internal", "body", "created_at"]
    readonly_fields = ["author", "created_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["requester", "assignee"]
    readonly_fields = ["version", "created_at", "updated_at"]
    list_select_related = ["team", "assignee"]
    inlines = [CommentInline]
    show_full_result_count = False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["ticket", "author", "is_internal", "created_at"]
    list_filter = ["is_internal"]
    raw_id_fields = ["ticket", "author"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "ticket", "content_type", "size", "created_at"]
    raw_id_fields = ["ticket", "comment", "uploaded_by"]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only, also for admins."""

    list_display = ["ticket", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["ticket", "actor"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["recipient", "event", "ticket", "comment"]
    readonly_fields = ["last_error"]
    actions = ["retry_now"]

    @admin.action(description="Retry the selected messages now")
    def retry_now(self, request, queryset):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        updated = queryset.exclude(status=OutboxMessage.Status.SENT).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{updated} message(s) queued for delivery.")
