from django.contrib import admin

from servicedesk import versions
from servicedesk.admin import VersionedAdmin

from .models import SynonymGroup, Tag


@admin.register(SynonymGroup)
class SynonymGroupAdmin(VersionedAdmin):
    """The words searchers use for the same thing; search widens a query with its group.

    Every process keeps a copy of the groups (knowledge/querying.py): saves and deletes bump
    its version, so the next search everywhere uses the new words.
    """

    list_display = ["words", "updated_at"]
    search_fields = ["words"]
    versions_bumped = (versions.SYNONYMS,)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
