from django.urls import URLPattern, URLResolver, include, path

from . import articles, followups, knowledge, knowledge_review, pulse, views

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

article_urls = [
    path("", knowledge.article_edit, name="article-edit"),
    path("history/", knowledge_review.article_history, name="article-history"),
    path("restore/<int:revision>/", knowledge_review.article_restore, name="article-restore"),
    path("submit/", knowledge_review.article_submit, name="article-submit"),
    path("publish/", knowledge_review.article_publish, name="article-publish"),
    path("retire/", knowledge_review.article_retire, name="article-retire"),
    path("images/", knowledge.article_images, name="article-images"),
    path(
        "images/<int:image>/remove/",
        knowledge.article_image_remove,
        name="article-image-remove",
    ),
]

knowledge_urls: list[URLPattern | URLResolver] = [
    path("", knowledge.article_list, name="article-list"),
    path("new/", knowledge.article_new, name="article-new"),
    path("preview/", knowledge.article_preview, name="article-preview"),
    path("review/", knowledge_review.review_queue, name="article-review"),
    path("revisions/<int:pk>/approve/", knowledge_review.revision_approve, name="revision-approve"),
    path("revisions/<int:pk>/reject/", knowledge_review.revision_reject, name="revision-reject"),
    path("<int:pk>/", include(article_urls)),
]

followup_urls = [
    path("", followups.followup_detail, name="followup-detail"),
    path("contact/", followups.followup_contact, name="followup-contact"),
    path("close/", followups.followup_close, name="followup-close"),
]

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:pk>/", include(ticket_urls)),
    path("knowledge/", include(knowledge_urls)),
    path("follow-ups/", followups.followup_list, name="followups"),
    path("follow-ups/<int:pk>/", include(followup_urls)),
    path("pulse/", pulse.pulse, name="pulse"),
]
