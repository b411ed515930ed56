"""The site's URLs plus the floor page; used as ROOT_URLCONF only when BENCH_ENABLED."""

from django.urls import path

from servicedesk.urls import handler500 as site_handler500
from servicedesk.urls import urlpatterns as site_urlpatterns

from . import views

# The site's own error page: Django looks for the handler in the root URLconf only.
handler500 = site_handler500

urlpatterns = [
    *site_urlpatterns,
    path("bench/floor/", views.floor, name="bench-floor"),
    path("bench/knowledge/search/", views.knowledge_search, name="bench-knowledge-search"),
    path("bench/knowledge/suggest/", views.knowledge_suggest, name="bench-knowledge-suggest"),
]
