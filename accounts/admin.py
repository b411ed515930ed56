from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from servicedesk import versions
from servicedesk.admin import VersionedAdmin

from .models import Department, NotificationPreference, Team, User


class UserCreateForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "role"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


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
        ("Access", {"fields": ["role", "is_active", "is_superuser"]}),
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


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "enabled"]
    list_filter = ["kind", "enabled"]
    autocomplete_fields = ["user"]
