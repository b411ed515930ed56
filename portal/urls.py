from django.urls import include, path

from . import knowledge, surveys, views

app_name = "portal"

ticket_urls = [
    path("", views.ticket_detail, name="ticket-detail"),
    path("reply/", views.ticket_reply, name="ticket-reply"),
    path("confirm/", views.ticket_confirm, name="ticket-confirm"),
    path("reopen/", views.ticket_reopen, name="ticket-reopen"),
    path("cancel/", views.ticket_cancel, name="ticket-cancel"),
]

article_urls = [
    path("", knowledge.article_detail, name="knowledge-article"),
    path("vote/", knowledge.article_vote, name="knowledge-vote"),
    path("solved/", knowledge.article_solved, name="knowledge-solved"),
    path("glad/", knowledge.article_glad, name="knowledge-glad"),
    path("images/<int:pk>/", knowledge.article_image, name="knowledge-image"),
]

urlpatterns = [
    path("", views.home, name="home"),
    # The portal's search box has always sent its words here; it searches the help articles.
    path("search/", knowledge.search, name="knowledge-search"),
    path("search/", knowledge.search, name="search"),  # the name links used before articles
    path("help/", knowledge.home, name="knowledge-home"),
    path("help/suggest/", knowledge.suggest, name="knowledge-suggest"),
    path("help/articles/<slug:slug>/", include(article_urls)),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<int:pk>/", include(ticket_urls)),
    path("surveys/<int:invitation_id>/<str:token>/", surveys.survey_answer, name="survey-answer"),
]
