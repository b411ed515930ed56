from django.contrib import admin

from .models import SynonymGroup, Tag


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    """The words searchers use for the same thing; search widens a query with its group."""

    list_display = ["words", "updated_at"]
    search_fields = ["words"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
