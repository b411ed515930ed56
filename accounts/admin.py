from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from servicedesk import versions
from servicedesk.admin import ReadOnlyAdmin, VersionedAdmin

from . import services
from .models import AccountEvent, Department, NotificationPreference, Team, User

# What only the access services change: the form's values are handed to them, never saved as is.
ACCESS_FIELDS = frozenset({"role", "is_active", "is_superuser", "teams", "lead", "members"})


def other_changed_fields(form: forms.ModelForm) -> list[str]:
    """The model fields the form changed, except those the access services write."""
    concrete = {field.name for field in form.instance._meta.concrete_fields}
    return [name for name in form.changed_data if name in concrete and name not in ACCESS_FIELDS]


def acting_admin(request: HttpRequest) -> User:
    """The signed-in admin: the admin site lets no one else in."""
    return cast(User, request.user)


class UserCreateForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "role"]


class UserEditForm(UserChangeForm):
    # The other side of Team.members, so a person's teams can be edited where the person is.
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("teams", is_stacked=False),
        help_text="Teams this person is a member of. Removing one ends their sessions.",
    )

    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "teams" in self.fields:
            self.fields["teams"].initial = list(self.instance.teams.all())


@admin.register(User)
class UserAdmin(VersionedAdmin, BaseUserAdmin):
    # Staff names, roles and whether they are active are reference data of the lists.
    versions_bumped = (versions.PEOPLE,)
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ["full_name"]
    list_display = ["email", "full_name", "role", "department", "is_active"]
    list_filter = ["role", "department", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "job_title", "phone", "department"]}),
        (
            "Access",
            {
                "fields": ["role", "is_active", "is_superuser", "teams"],
                "description": "Changing these ends the person's sessions and is recorded in "
                "the account history.",
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = []
    actions = ["deactivate", "reactivate"]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        obj = cast(User, obj)
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Only the fields this form changed: a full save would also write the session epoch
        # as it was read, undoing a bump another request made meanwhile.
        if fields := other_changed_fields(form):
            obj.save(update_fields=fields)
        actor = acting_admin(request)
        services.set_role(obj, role=obj.role, is_superuser=obj.is_superuser, by=actor)
        services.set_active(obj, active=obj.is_active, by=actor)
        versions.bump(*self.versions_bumped)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        teams = form.cleaned_data.get("teams")
        if change and teams is not None:
            services.set_teams(form.instance, teams=teams, by=acting_admin(request))
        if form.instance.pk == request.user.pk:
            # An admin editing themselves keeps this session, as after changing their own
            # password; their other sessions end.
            form.instance.refresh_from_db(fields=["session_epoch"])
            update_session_auth_hash(request, form.instance)

    @admin.action(description="Deactivate the selected people (ends their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for person in queryset:
            services.set_active(person, active=False, by=acting_admin(request))
        self.message_user(request, f"{len(queryset)} person(s) deactivated.")

    @admin.action(description="Reactivate the selected people")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for person in queryset:
            services.set_active(person, active=True, by=acting_admin(request))
        self.message_user(request, f"{len(queryset)} person(s) reactivated.")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(VersionedAdmin):
    versions_bumped = (versions.PEOPLE,)
    list_display = ["name", "tier", "lead"]
    list_filter = ["tier"]
    search_fields = ["name"]
    autocomplete_fields = ["lead"]
    filter_horizontal = ["members"]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        obj = cast(Team, obj)
        actor = acting_admin(request)
        lead = obj.lead
        if change:
            if fields := other_changed_fields(form):
                obj.save(update_fields=fields)
        else:
            obj.lead = None
            obj.save()
        services.set_team_lead(obj, lead=lead, by=actor)
        versions.bump(*self.versions_bumped)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Taken out of the form's data so that save_m2m() leaves the members to the service.
        members = form.cleaned_data.pop("members", None)
        super().save_related(request, form, formsets, change)
        if members is not None:
            services.set_team_members(form.instance, members=members, by=acting_admin(request))

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """A team with members or a lead is kept: empty it first, so each removal is recorded."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for team in objs:
            if team.lead_id:
                protected.append(f"Lead of {team}: {team.lead}")
            protected.extend(f"Member of {team}: {person}" for person in team.members.all())
        return deleted, counts, perms_needed, protected


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    """The history of people's access, newest first; the services write it, nobody edits it."""

    list_display = ["created_at", "person", "kind", "team", "before", "after", "actor"]
    list_filter = ["kind", "team"]
    list_select_related = ["person", "team", "actor"]
    search_fields = ["person__email", "person__full_name"]
    ordering = ["-created_at", "-pk"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "enabled"]
    list_filter = ["kind", "enabled"]
    autocomplete_fields = ["user"]
