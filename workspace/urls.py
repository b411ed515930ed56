from django.urls import include, path

from . import articles, views

app_name = "workspace"

ticket_urls = [
    path("", views.ticket_detail, name="ticket-detail"),
    path("take/", views.ticket_take, name="ticket-take"),
    path("assign/", views.ticket_assign, name="ticket-assign"),
    path("status/", views.ticket_status, name="ticket-status"),
    path("update/", views.ticket_update, name="ticket-update"),
    path("comments/", views.ticket_comment, name="ticket-comment"),
    path("articles/", articles.ticket_articles, name="ticket-articles"),
    path("articles/link/", articles.ticket_article_link, name="ticket-article-link"),
    path(
        "articles/<int:article_pk>/unlink/",
        articles.ticket_article_unlink,
        name="ticket-article-unlink",
    ),
]

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:pk>/", include(ticket_urls)),
]
