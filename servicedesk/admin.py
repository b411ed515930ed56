"""Admin building blocks shared by the apps (imported by their admin modules)."""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from . import versions


class VersionedAdmin(admin.ModelAdmin):
    """The admin of rows that other processes keep a copy of: every edit bumps their version.

    Saves (with their inlines and many-to-many rows) and deletes, single or by the delete
    action, each bump `versions_bumped` after commit, so every web worker reloads on its next page.
    """

    versions_bumped: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        versions.bump(*self.versions_bumped)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        versions.bump(*self.versions_bumped)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)
        versions.bump(*self.versions_bumped)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        versions.bump(*self.versions_bumped)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the services write: admins may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
