"""The editor's pages in the workspace: who reaches them, what they show, what they save."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleImage, Revision, TicketLink
from tests.factories import ArticleFactory, CommentFactory, ServiceFactory
from tests.knowledge.helpers import current, png, published, text

HTMX = {"HX-Request": "true"}
Status, State = Article.Status, Revision.State


@pytest.fixture
def article(agent, manager):
    return published(agent, editor=manager)


def form_data(article: Article | None = None, **changes) -> dict:
    data = {
        "title": article.title if article else "Reset your password",
        "summary": "",
        "body": article.body if article else "1. Open the portal.\n2. Choose **Forgot password**.",
        "video_url": "",
        "tags": "",
        "audience": "everyone",
        "review_by": "",
        "comment": "",
        "based_on": str(article.current_revision_id) if article else "0",
        "action": "save",
    }
    return {**data, **changes}


def editor_urls(article: Article) -> list[tuple[str, str]]:
    """Every URL of the editor, with the method it answers."""
    revision = article.current_revision_id
    return [
        ("get", reverse("workspace:article-list")),
        ("get", reverse("workspace:article-new")),
        ("post", reverse("workspace:article-new")),
        ("post", reverse("workspace:article-preview")),
        ("get", reverse("workspace:article-review")),
        ("get", reverse("workspace:article-edit", args=[article.pk])),
        ("post", reverse("workspace:article-edit", args=[article.pk])),
        ("get", reverse("workspace:article-history", args=[article.pk])),
        ("post", reverse("workspace:article-restore", args=[article.pk, revision])),
        ("post", reverse("workspace:article-submit", args=[article.pk])),
        ("post", reverse("workspace:article-publish", args=[article.pk])),
        ("post", reverse("workspace:article-retire", args=[article.pk])),
        ("post", reverse("workspace:article-images", args=[article.pk])),
        ("post", reverse("workspace:revision-approve", args=[revision])),
        ("post", reverse("workspace:revision-reject", args=[revision])),
    ]


def test_end_users_get_404_on_every_editor_url(client_as, requester, article):
    client = client_as(requester)
    for method, url in editor_urls(article):
        assert getattr(client, method)(url).status_code == 404, url
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_signed_out_visitors_are_sent_to_log_in(client, article):
    for method, url in editor_urls(article):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("name", ["article-publish", "article-retire"])
def test_an_agent_without_the_editor_flag_gets_403_for_publishing(
    client_as, second_agent, article, name
):
    response = client_as(second_agent).post(reverse(f"workspace:{name}", args=[article.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["revision-approve", "revision-reject"])
def test_an_agent_without_the_editor_flag_gets_403_for_reviewing(
    client_as, agent, second_agent, article, name
):
    edit = services.save_edit(
        article, text=text(body="New"), based_on=article.current_revision_id, by=agent
    )
    response = client_as(second_agent).post(
        reverse(f"workspace:{name}", args=[edit.pk]), {"note": "x"}
    )
    assert response.status_code == 403
    edit.refresh_from_db()
    assert edit.state == State.IN_REVIEW


def test_an_agent_reaches_every_page_but_sees_no_editor_buttons(client_as, second_agent, article):
    client = client_as(second_agent)
    for url in (
        reverse("workspace:article-list"),
        reverse("workspace:article-new"),
        reverse("workspace:article-review"),
        reverse("workspace:article-edit", args=[article.pk]),
        reverse("workspace:article-history", args=[article.pk]),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("workspace:article-edit", args=[article.pk])).content.decode()
    assert "Retire now" not in page and "Publish now" not in page
    assert "Send for review" in page


@pytest.mark.parametrize("persona", ["manager", "admin_user", "knowledge_editor"])
def test_a_knowledge_editor_publishes_and_retires_with_the_buttons(
    client_as, request, agent, persona
):
    draft = services.create_article(text=text(), by=agent)
    client = client_as(request.getfixturevalue(persona))
    page = client.get(reverse("workspace:article-edit", args=[draft.pk])).content.decode()
    assert "Publish now" in page and "Retire now" in page
    response = client.post(reverse("workspace:article-publish", args=[draft.pk]), follow=True)
    assert "Published: readers see it now." in response.content.decode()
    client.post(reverse("workspace:article-retire", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Status.RETIRED


def test_the_workspace_nav_has_knowledge_for_staff_only(client_as, agent, requester, db):
    link = f'href="{reverse("workspace:article-list")}"'
    assert link in client_as(agent).get(reverse("workspace:queue")).content.decode()
    assert link not in client_as(requester).get(reverse("portal:home")).content.decode()


def test_the_list_shows_articles_and_filters_them(client_as, agent, second_agent, manager, service):
    mine = services.create_article(text=text("Mine about printers"), services=[service], by=agent)
    theirs = published(second_agent, editor=manager, text=text("Theirs about Wi-Fi"))
    agents_only = ArticleFactory.create(title="Internal runbook", audience="agents")
    from datetime import date

    overdue = ArticleFactory.create(title="Old VPN steps", review_by=date(2020, 1, 1))
    disliked = ArticleFactory.create(title="Confusing steps", unhelpful_count=9, helpful_count=1)
    client = client_as(agent)
    url = reverse("workspace:article-list")

    def titles(**query) -> set[str]:
        page = client.get(url, query).content.decode()
        return set(re.findall(r'class="sd-subject-link" title="([^"]+)"', page))

    everything = {mine.title, theirs.title, agents_only.title, overdue.title, disliked.title}
    assert titles() == everything
    assert titles(status="draft") == {mine.title}
    assert titles(service=service.pk) == {mine.title}
    assert titles(audience="agents") == {agents_only.title}
    assert titles(review="due") == {overdue.title, disliked.title}
    assert titles(mine="on") == {mine.title}
    assert titles(q="wi-fi") == {theirs.title}
    assert titles(status="nonsense") == set()
    services.save_edit(theirs, text=text(body="x"), based_on=theirs.current_revision_id, by=agent)
    assert titles(review="waiting") == {theirs.title}
    assert titles(mine="on") == {mine.title, theirs.title}  # Sam wrote an edit of it


def test_the_list_answers_htmx_with_its_fragment(client_as, agent, article):
    response = client_as(agent).get(
        reverse("workspace:article-list"),
        {"status": "published"},
        headers={**HTMX, "HX-Target": "article-list"},
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="article-list"' in html and article.title in html


def test_the_list_costs_the_same_queries_for_one_article_or_many(
    client_as, agent, django_assert_num_queries
):
    services_ = [ServiceFactory.create() for _ in range(3)]
    ArticleFactory.create(services=services_)
    client = client_as(agent)
    url = reverse("workspace:article-list")
    client.get(url)  # the session's first request also records the person's activity
    # Session, user, the rows, their services, the service filter's choices, the review count.
    with django_assert_num_queries(6) as few:
        client.get(url)
    for n in range(6):
        ArticleFactory.create(services=services_, title=f"More {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_editor_page_costs_the_same_queries_however_much_it_holds(
    client_as, agent, manager, article, django_assert_num_queries
):
    client = client_as(manager)
    url = reverse("workspace:article-edit", args=[article.pk])
    client.get(url)  # the session's first request also records the person's activity
    # Session, user, article, the edit in review, its services and tags, the newest
    # revision (sent back?), the service choices, the screenshots.
    with django_assert_num_queries(9) as few:
        client.get(url)
    for n in range(4):
        ServiceFactory.create()
        services.upload_image(article, file=SimpleUploadedFile("s.png", png()), by=agent)
        article.refresh_from_db()
        services.save_edit(
            article,
            text=text(body=f"Version {n}"),
            based_on=current(article).pk,
            tags=[f"tag{n}", "vpn"],
            services=list(article.services.all()) + [ServiceFactory.create()],
            by=manager,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_editor_starts_from_the_edit_in_review(client_as, agent, second_agent, article):
    edit = services.save_edit(
        article, text=text(body="Waiting text"), based_on=article.current_revision_id, by=agent
    )
    page = (
        client_as(second_agent)
        .get(reverse("workspace:article-edit", args=[article.pk]))
        .content.decode()
    )
    assert "Waiting text</textarea>" in page
    assert f'name="based_on" value="{edit.pk}"' in page
    assert f"Revision {edit.pk} by Sam Patel is waiting for review" in page


def test_an_agents_edit_of_a_published_article_goes_to_review(
    client_as, second_agent, requester, article
):
    published_body = article.body
    response = client_as(second_agent).post(
        reverse("workspace:article-edit", args=[article.pk]),
        form_data(article, body="1. Brand new steps.", comment="Clearer"),
        follow=True,
    )
    assert "Saved for review. Readers keep seeing the published text" in response.content.decode()
    assert Article.objects.for_readers(requester).get().body == published_body
    assert Revision.objects.get(state=State.IN_REVIEW).comment == "Clearer"


def test_a_stale_edit_is_a_conflict_and_the_text_comes_back(
    client_as, agent, second_agent, manager, article
):
    opened = article.current_revision_id
    newer = services.save_edit(article, text=text(body="Kim's change"), based_on=opened, by=manager)
    response = client_as(second_agent).post(
        reverse("workspace:article-edit", args=[article.pk]),
        form_data(article, body="Chloe's long text that must not be lost", based_on=str(opened)),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Maria Jones saved a newer version of this article" in page
    assert "Chloe&#39;s long text that must not be lost</textarea>" in page
    # Saving again now is a choice made knowing what changed: the form is based on theirs.
    assert f'name="based_on" value="{newer.pk}"' in page
    assert f"?a={opened}&amp;b={newer.pk}" in page
    assert article.revisions.count() == 2


def test_the_no_javascript_preview_button_renders_without_saving(client_as, agent, article):
    response = client_as(agent).post(
        reverse("workspace:article-edit", args=[article.pk]),
        form_data(article, body="1. **Bold** <script>alert(1)</script>", action="preview"),
    )
    page = response.content.decode()
    assert "<strong>Bold</strong>" in page and "<script>alert(1)" not in page
    assert article.revisions.count() == 1


def test_the_live_preview_returns_its_fragment_through_the_same_sanitiser(client_as, agent):
    response = client_as(agent).post(
        reverse("workspace:article-preview"),
        {
            "title": "VPN <b>now</b>",
            "body": "1. Click [here](javascript:alert(1))\n\n![Step 2](image:5)\n\n<iframe src=x></iframe>",
            "video_url": "javascript:alert(1)",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert "<html" not in html and html.strip().startswith('<div id="article-preview"')
    assert "VPN &lt;b&gt;now&lt;/b&gt;" in html
    assert "javascript" not in html and "<iframe" not in html
    assert 'src="/knowledge/images/5/"' in html


def test_a_video_link_is_shown_next_to_the_steps(client_as, agent):
    html = (
        client_as(agent)
        .post(
            reverse("workspace:article-preview"),
            {"title": "VPN", "body": "1. Go", "video_url": "https://video.example/vpn.mp4"},
            headers=HTMX,
        )
        .content.decode()
    )
    assert 'href="https://video.example/vpn.mp4"' in html and "Watch a short video" in html
    assert "<video" not in html and "<iframe" not in html


def test_a_new_article_is_saved_as_a_draft_or_sent_for_review(client_as, agent, service):
    client = client_as(agent)
    response = client.post(
        reverse("workspace:article-new"), form_data(services=[service.pk], tags="Password, reset")
    )
    article = Article.objects.get()
    assert response["Location"] == reverse("workspace:article-edit", args=[article.pk])
    assert (article.status, article.slug) == (Status.DRAFT, "reset-your-password")
    assert sorted(article.tags.values_list("name", flat=True)) == ["password", "reset"]
    client.post(reverse("workspace:article-new"), form_data(title="Second", action="submit"))
    assert Article.objects.get(title="Second").status == Status.IN_REVIEW
    # Publishing is for editors: an agent's "publish" is refused, nothing saved.
    assert (
        client.post(
            reverse("workspace:article-new"), form_data(title="Third", action="publish")
        ).status_code
        == 403
    )
    assert not Article.objects.filter(title="Third").exists()


def test_a_bad_article_keeps_what_was_typed_and_says_what_is_wrong(client_as, agent):
    response = client_as(agent).post(
        reverse("workspace:article-new"),
        form_data(title="", body="My steps", video_url="ftp://x.example/v"),
    )
    page = response.content.decode()
    assert "This field is required." in page
    assert "A video link must start with https://" in page
    assert "My steps</textarea>" in page
    assert not Article.objects.exists()


def test_an_article_from_a_ticket_is_prefilled_and_linked(client_as, agent, requester, ticket):
    ticket.description = "Outlook asks for my password every few minutes."
    ticket.save(update_fields=["description"])
    CommentFactory.create(
        ticket=ticket, author=agent, body="Remove the old password from Credential Manager."
    )
    CommentFactory.create(
        ticket=ticket, author=agent, body="Secret internal remark", is_internal=True
    )
    CommentFactory.create(ticket=ticket, author=requester, body="Thanks, that worked!")
    client = client_as(agent)
    page = client.get(reverse("workspace:article-new"), {"ticket": ticket.pk}).content.decode()
    assert 'value="Outlook keeps asking for my password"' in page
    assert "Outlook asks for my password every few minutes." in page
    assert "Remove the old password from Credential Manager." in page
    assert "Secret internal remark" not in page and "Thanks, that worked" not in page
    assert f'name="ticket" value="{ticket.pk}"' in page
    client.post(
        reverse("workspace:article-new"),
        form_data(title="Outlook password prompts", ticket=ticket.pk),
    )
    link = TicketLink.objects.get()
    assert (link.ticket, link.article.title, link.relation) == (
        ticket,
        "Outlook password prompts",
        "created_from",
    )


def test_an_article_cannot_come_from_a_ticket_the_agent_may_not_see(client_as, other_agent, ticket):
    client = client_as(other_agent)
    assert client.get(reverse("workspace:article-new"), {"ticket": ticket.pk}).status_code == 404
    assert client.get(reverse("workspace:article-new"), {"ticket": "x"}).status_code == 404
    assert (
        client.post(reverse("workspace:article-new"), form_data(ticket=ticket.pk)).status_code
        == 404
    )
    assert not Article.objects.exists()


def test_the_ticket_page_offers_to_write_an_article(client_as, agent, ticket):
    page = (
        client_as(agent).get(reverse("workspace:ticket-detail", args=[ticket.pk])).content.decode()
    )
    assert f'href="{reverse("workspace:article-new")}?ticket={ticket.pk}"' in page


def test_history_compares_any_two_revisions_and_restores_one(
    client_as, agent, manager, requester, article
):
    first = current(article)
    second = services.save_edit(
        article, text=text(body="1. Open <AnyConnect>.\n2. Sign in."), based_on=first.pk, by=manager
    )
    third = services.save_edit(article, text=text(body="Third"), based_on=second.pk, by=manager)
    client = client_as(manager)
    url = reverse("workspace:article-history", args=[article.pk])
    page = client.get(url, {"a": first.pk, "b": second.pk}).content.decode()
    assert f"Revision {first.pk}" in page and f"revision {second.pk}" in page
    assert "<ins>&lt;</ins>AnyConnect<ins>&gt;</ins>" in page
    assert f'id="restore-{first.pk}"' in page and f'id="restore-{third.pk}"' not in page
    response = client.post(
        reverse("workspace:article-restore", args=[article.pk, first.pk]),
        {"based_on": third.pk},
        follow=True,
    )
    assert f"Revision {first.pk} restored." in response.content.decode()
    assert Article.objects.for_readers(requester).get().body == first.body
    # A restore from a stale page is a conflict, reported, and saves nothing.
    response = client.post(
        reverse("workspace:article-restore", args=[article.pk, second.pk]),
        {"based_on": third.pk},
        follow=True,
    )
    assert "Someone saved a newer revision while you were looking" in response.content.decode()
    assert article.revisions.count() == 4


def test_history_ignores_revisions_of_other_articles(client_as, agent, article):
    other = services.create_article(text=text("Other"), by=agent)
    page = client_as(agent).get(
        reverse("workspace:article-history", args=[article.pk]),
        {"a": other.current_revision_id, "b": "x"},
    )
    assert page.status_code == 200 and "Other" not in page.content.decode()
    restore = reverse("workspace:article-restore", args=[article.pk, other.current_revision_id])
    assert client_as(agent).post(restore).status_code == 404


def test_the_review_queue_lists_waiting_edits_and_an_editor_approves(
    client_as, agent, knowledge_editor, requester, article
):
    edit = services.save_edit(
        article,
        text=text(body="Approved text"),
        based_on=article.current_revision_id,
        comment="Typo",
        by=agent,
    )
    new = services.create_article(text=text("Brand new"), submit=True, by=agent)
    client = client_as(knowledge_editor)
    page = client.get(reverse("workspace:article-review")).content.decode()
    assert "Edit of a published article" in page and "New article" in page and "“Typo”" in page
    assert reverse("workspace:revision-approve", args=[edit.pk]) in page
    client.post(reverse("workspace:revision-approve", args=[edit.pk]))
    assert Article.objects.for_readers(requester).get(pk=article.pk).body == "Approved text"
    response = client.post(
        reverse("workspace:revision-reject", args=[new.current_revision_id]),
        {"note": ""},
        follow=True,
    )
    assert "Say what needs to change" in response.content.decode()
    client.post(
        reverse("workspace:revision-reject", args=[new.current_revision_id]),
        {"note": "Needs steps", "back": "article"},
    )
    new.refresh_from_db()
    assert new.status == Status.DRAFT
    page = client_as(agent).get(reverse("workspace:article-edit", args=[new.pk])).content.decode()
    assert "was sent back" in page and "Needs steps" in page


def test_a_screenshot_uploaded_in_the_editor_is_listed_with_its_snippet(client_as, agent, article):
    client = client_as(agent)
    url = reverse("workspace:article-images", args=[article.pk])
    html = client.post(
        url, {"image": SimpleUploadedFile("s.png", png(7, 5)), "caption": "Sign-in"}, headers=HTMX
    ).content.decode()
    image = ArticleImage.objects.get()
    assert "<html" not in html and 'id="article-images"' in html
    assert f"![Sign-in](image:{image.pk})" in html and "7 × 5" in html
    fake = SimpleUploadedFile(
        "step2.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    )
    html = client.post(url, {"image": fake}, headers=HTMX).content.decode()
    assert "step2.png: this is an SVG drawing, not a picture" in html
    response = client.post(url, {"image": SimpleUploadedFile("x.png", b"<html>")}, follow=True)
    assert "x.png: this is HTML" in response.content.decode()
    assert ArticleImage.objects.count() == 1


def test_the_admin_lists_articles_and_publishes_through_the_services(client_as, admin_user, agent):
    draft = services.create_article(text=text(), by=agent)
    client = client_as(admin_user)
    page = client.get(reverse("admin:knowledge_article_changelist")).content.decode()
    assert "Open in the editor" in page and draft.title in page
    client.post(
        reverse("admin:knowledge_article_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert (draft.status, current(draft).state) == (Status.PUBLISHED, State.APPROVED)
    assert client.get(reverse("admin:knowledge_revision_changelist")).status_code == 200
    change = reverse("admin:knowledge_revision_change", args=[draft.current_revision_id])
    assert client.post(change, {"title": "Changed"}).status_code == 403


def test_the_editor_says_when_the_article_was_updated_in_words(client_as, agent):
    from tests.knowledge.helpers import text

    article = services.create_article(text=text(), by=agent)
    page = client_as(agent).get(reverse("workspace:article-edit", args=[article.pk]))
    html = page.content.decode()
    assert "just now</time>" in html and "0m ago" not in html


def test_the_editor_says_which_services_the_article_is_filed_under_above_the_list(
    client_as, manager, agent
):
    names = [f"Service {n:02}" for n in range(20)]
    made = {name: ServiceFactory.create(name=name) for name in names}
    article = published(agent, editor=manager)
    article.services.set([made["Service 17"], made["Service 04"]])
    page = (
        client_as(manager)
        .get(reverse("workspace:article-edit", args=[article.pk]))
        .content.decode()
    )
    line = re.search(r'<p [^>]*id="filed-under"[^>]*>(.*?)</p>', page)
    assert line is not None
    assert line.group(1) == "Filed under: <strong>Service 04, Service 17</strong>"
    # Above the scrolling list, not somewhere inside it.
    assert page.index('id="filed-under"') < page.index('name="services"')


def test_a_new_article_says_it_is_not_filed_yet(client_as, agent):
    page = client_as(agent).get(reverse("workspace:article-new")).content.decode()
    assert "Not filed under any service yet." in page


def test_the_preview_that_scrolls_can_be_reached_with_the_keyboard(client_as, agent, article):
    page = (
        client_as(agent).get(reverse("workspace:article-edit", args=[article.pk])).content.decode()
    )
    body = re.search(r'<div class="card-body sd-kb-preview-body"[^>]*>', page)
    assert body is not None
    assert 'tabindex="0"' in body.group(0) and 'role="region"' in body.group(0)
    assert 'aria-labelledby="preview-heading"' in body.group(0)
