"""Who reads which article: end users only published articles for everyone."""

import pytest

from knowledge.models import Article
from tests.factories import ArticleFactory

Status, Audience = Article.Status, Article.Audience


@pytest.fixture
def articles(db):
    return {
        (status, audience): ArticleFactory(status=status, audience=audience)
        for status in Status.values
        for audience in Audience.values
    }


def test_end_users_see_published_articles_for_everyone_only(requester, articles):
    assert list(Article.objects.visible_to(requester)) == [
        articles[(Status.PUBLISHED, Audience.EVERYONE)]
    ]


@pytest.mark.parametrize("persona", ["agent", "manager", "admin_user"])
def test_staff_see_every_article_but_read_only_published_ones(persona, request, articles):
    user = request.getfixturevalue(persona)
    assert Article.objects.visible_to(user).count() == len(articles)
    assert set(Article.objects.for_readers(user)) == {
        articles[(Status.PUBLISHED, Audience.EVERYONE)],
        articles[(Status.PUBLISHED, Audience.AGENTS)],
    }


def test_signed_out_and_deactivated_people_see_nothing(requester, articles):
    from django.contrib.auth.models import AnonymousUser

    assert not Article.objects.visible_to(AnonymousUser()).exists()  # type: ignore[arg-type]
    requester.is_active = False
    assert not Article.objects.visible_to(requester).exists()
