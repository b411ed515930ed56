"""The portal's help pages: the knowledge home, search results, the article page and its
"Did this solve your problem?", screenshots and video, and "Still need help?"."""

import re
from html import escape, unescape

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from knowledge.models import Article, ArticleImage, Feedback, SearchLog, Tag
from tests.factories import ArticleFactory, ServiceFactory

HTMX = {"HX-Request": "true"}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def article(service):
    return ArticleFactory.create(
        title="Outlook keeps asking for my password",
        slug="outlook-password",
        summary="Stop the repeated sign-in prompts.",
        body="## Before you start\n\n1. Close **Outlook**.\n2. Open Credential Manager.\n\n"
        '<script>alert(1)</script><a href="javascript:alert(2)">x</a>',
        services=[service],
    )


def article_url(article: Article, **params) -> str:
    url = reverse("portal:knowledge-article", args=[article.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_home_search_box_leads_to_the_help_search(client_as, requester):
    for page in ("portal:home", "portal:knowledge-home"):
        html = client_as(requester).get(reverse(page)).content.decode()
        assert f'action="{reverse("portal:knowledge-search")}"' in html
    assert reverse("portal:search") == reverse("portal:knowledge-search")


def test_the_nav_offers_help_articles_to_end_users(client_as, requester):
    html = client_as(requester).get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("portal:knowledge-home")}"' in html


def test_the_home_shows_each_services_most_useful_articles_first(client_as, requester, service):
    ArticleFactory.create(title="Rarely useful", services=[service], helpful_count=1)
    ArticleFactory.create(title="Most useful", services=[service], helpful_count=40)
    ArticleFactory.create(title="Often read", services=[service], helpful_count=1, view_count=500)
    printing = ServiceFactory.create(name="Printing")
    ArticleFactory.create(title="Add a printer", services=[printing])
    ArticleFactory.create(title="Guest Wi-Fi")  # no service
    html = client_as(requester).get(reverse("portal:knowledge-home")).content.decode()
    email = html[html.index("Email &amp; Calendar") : html.index("Printing")]
    assert email.index("Most useful") < email.index("Often read") < email.index("Rarely useful")
    assert "Add a printer" in html[html.index("Printing") :]
    assert "Guest Wi-Fi" in html[html.index("Everything else") :]


def test_the_home_reads_a_fixed_number_of_queries(
    client_as, requester, service, django_assert_num_queries
):
    client = client_as(requester)
    ArticleFactory.create(services=[service])
    client.get(reverse("portal:knowledge-home"))
    with django_assert_num_queries(5) as few:  # session, user, services, their articles, others
        client.get(reverse("portal:knowledge-home"))
    for n in range(4):
        other = ServiceFactory.create()
        ArticleFactory.create_batch(7, services=[other, service])
        ArticleFactory.create(title=f"General {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(reverse("portal:knowledge-home")).content.decode()
    assert "All 29 articles about Email &amp; Calendar" in html


def test_search_results_show_articles_and_the_persons_tickets(
    client_as, requester, ticket, article
):
    response = client_as(requester).get(reverse("portal:knowledge-search"), {"q": "outlook"})
    html = response.content.decode()
    assert "Outlook keeps asking for my password" in html
    assert ticket.number in html
    assert "writing the knowledge base" not in html  # the old placeholder
    log = SearchLog.objects.get()
    assert (log.query, log.results_count, log.source) == ("outlook", 1, SearchLog.Source.PORTAL)
    result = next(h for h in re.findall(r'href="([^"]+)"', html) if "/help/articles/" in h)
    assert f"s={log.pk}" in unescape(result)


def test_search_results_come_ten_to_a_page_and_log_one_search(client_as, requester, service):
    for n in range(23):
        ArticleFactory.create(title=f"Printer {n:02} offline", body="Restart the spooler.")
    client = client_as(requester)
    url = reverse("portal:knowledge-search")
    first = client.get(url, {"q": "printer"}).content.decode()
    assert "1–10 of 23 articles for “printer”" in first
    assert first.count('class="list-group-item"') == 10
    assert 'rel="prev"' not in first and "Your tickets" in first
    log = SearchLog.objects.get()
    assert log.results_count == 23
    [more] = re.findall(r'rel="next" href="([^"]+)"', first)
    second = client.get(url + unescape(more)).content.decode()
    assert "11–20 of 23 articles" in second and 'rel="prev"' in second
    assert "Your tickets" not in second  # the person's tickets are on the first page
    # The same search, read further: not logged again, and its articles keep its trail.
    assert SearchLog.objects.count() == 1
    result = next(h for h in re.findall(r'href="([^"]+)"', second) if "/help/articles/" in h)
    assert f"s={log.pk}" in unescape(result)
    [last_link] = re.findall(r'rel="next" href="([^"]+)"', second)
    last = client.get(url + unescape(last_link)).content.decode()
    assert "21–23 of 23 articles" in last and 'rel="next"' not in last
    titles = set(re.findall(r"Printer \d\d offline", first + second + last))
    assert len(titles) == 23  # every article once, none twice
    beyond = client.get(url, {"q": "printer", "page": "9"}).content.decode()
    assert "There are no more articles for “printer”" in beyond
    assert client.get(url, {"q": "printer", "page": "nonsense"}).status_code == 200


def test_a_search_that_finds_nothing_says_so_and_offers_to_ask(client_as, requester, article):
    html = client_as(requester).get(reverse("portal:knowledge-search"), {"q": "payroll"})
    page = html.content.decode()
    assert "No help articles match “payroll”" in page
    assert f"{reverse('portal:ticket-create')}?subject=payroll" in page


def test_an_overlong_search_is_ignored_not_an_error(client_as, requester, article):
    response = client_as(requester).get(reverse("portal:knowledge-search"), {"q": "x" * 500})
    assert response.status_code == 200
    assert not SearchLog.objects.exists()
    page = response.content.decode()
    assert "at most 200 characters" in page and 'aria-invalid="true"' in page


def test_the_article_page_renders_its_markdown_safely_and_counts_the_view(
    client_as, requester, article
):
    client = client_as(requester)
    html = client.get(article_url(article)).content.decode()
    assert "<h2>Before you start</h2>" in html and "<strong>Outlook</strong>" in html
    assert "<script>alert(1)</script>" not in html and "javascript:alert" not in html
    client.get(article_url(article))  # a reload is the same reading
    article.refresh_from_db()
    assert article.view_count == 1


def test_an_unknown_article_is_a_404(client_as, requester, db):
    client = client_as(requester)
    assert (
        client.get(reverse("portal:knowledge-article", args=["no-such-thing"])).status_code == 404
    )
    vote = client.post(reverse("portal:knowledge-vote", args=["no-such-thing"]), {"helpful": "yes"})
    assert vote.status_code == 404


def test_screenshots_show_inline_only_as_raster_images(client_as, requester, agent, article):
    def add(name: str, content: bytes, content_type: str) -> ArticleImage:
        image = ArticleImage(
            article=article, content_type=content_type, width=1, height=1, uploaded_by=agent
        )
        image.caption = f"Step {name}"
        image.file.save(name, ContentFile(content), save=True)
        return image

    png = add("tray.png", PNG, "image/png")
    svg = add("evil.svg", b"<svg onload=alert(1)>", "image/svg+xml")
    client = client_as(requester)
    html = client.get(article_url(article)).content.decode()
    png_url = reverse("portal:knowledge-image", args=[article.slug, png.pk])
    assert f'src="{png_url}"' in html and 'alt="Step tray.png"' in html
    assert "evil.svg" not in html
    served = client.get(png_url)
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PNG
    assert (
        client.get(reverse("portal:knowledge-image", args=[article.slug, svg.pk])).status_code
        == 404
    )
    other = ArticleFactory.create()
    assert (
        client.get(reverse("portal:knowledge-image", args=[other.slug, png.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    ("video_url", "shown"),
    [("https://videos.example.com/vpn", True), ("ftp://files.example.com/vpn.mp4", False)],
)
def test_a_video_link_is_offered_when_it_is_a_web_link(
    client_as, requester, article, video_url, shown
):
    article.video_url = video_url
    article.save(update_fields=["video_url"])
    html = client_as(requester).get(article_url(article)).content.decode()
    assert ("Watch a short video" in html) is shown
    assert (f'href="{video_url}"' in html) is shown


def test_related_articles_share_a_service_or_a_tag(client_as, requester, service, article):
    vpn = Tag.objects.create(name="vpn")
    article.tags.add(vpn)
    ArticleFactory.create(title="Share your calendar", services=[service])
    tagged = ArticleFactory.create(title="VPN from home")
    tagged.tags.add(vpn)
    ArticleFactory.create(title="Add a printer", services=[ServiceFactory.create()])
    html = client_as(requester).get(article_url(article)).content.decode()
    related = html[html.index("Related articles") :]
    assert "Share your calendar" in related and "VPN from home" in related
    assert "Add a printer" not in related


def test_yes_thanks_the_reader_and_can_be_changed(client_as, requester, article):
    client = client_as(requester)
    vote = reverse("portal:knowledge-vote", args=[article.slug])
    response = client.post(vote, {"helpful": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#feedback")
    assert "Thanks, glad it helped" in client.get(response["Location"]).content.decode()
    client.post(vote, {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (0, 1)


def test_no_asks_what_was_missing_and_takes_an_answer(client_as, requester, article):
    client = client_as(requester)
    vote = reverse("portal:knowledge-vote", args=[article.slug])
    fragment = client.post(vote, {"helpful": "no"}, headers=HTMX).content.decode()
    assert "<html" not in fragment and 'id="feedback"' in fragment
    assert "What was missing?" in fragment and "(optional)" in fragment
    fragment = client.post(
        vote, {"helpful": "no", "comment": "Where is Credential Manager?"}, headers=HTMX
    ).content.decode()
    assert "Thanks for telling us" in fragment
    assert Feedback.objects.get().comment == "Where is Credential Manager?"


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_sending_what_was_missing_empty_still_thanks_the_reader(
    client_as, requester, article, headers
):
    """The trial pressed Send with the optional field empty and got the same form back."""
    client = client_as(requester)
    vote = reverse("portal:knowledge-vote", args=[article.slug])
    client.post(vote, {"helpful": "no"}, headers=HTMX)
    response = client.post(
        vote, {"helpful": "no", "step": "comment", "comment": ""}, headers=headers, follow=True
    )
    html = response.content.decode()
    assert "Thanks for letting us know" in html and "What was missing?" not in html
    assert "what you wrote" not in html  # nothing was written
    assert not Feedback.objects.get().helpful


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_no_asks_what_was_missing_once_and_then_offers_to_change_the_vote(
    client_as, requester, article, headers
):
    """Every visit after a No opened at "What was missing?", with no way to say it helped."""
    client = client_as(requester)
    vote = reverse("portal:knowledge-vote", args=[article.slug])
    asked = client.post(vote, {"helpful": "no"}, headers=headers, follow=True).content.decode()
    assert "What was missing?" in asked and "Actually, it did help" in asked
    # A later visit (a reload, another day): thanked, not asked again, the vote changeable.
    later = client.get(article_url(article)).content.decode()
    assert "Thanks for letting us know" in later and "What was missing?" not in later
    assert "Actually, it did help" in later and "feedback=missing" in later
    client.post(vote, {"helpful": "yes"}, headers=headers)
    assert Feedback.objects.get().helpful
    assert "Thanks, glad it helped" in client.get(article_url(article)).content.decode()


def test_a_no_with_what_was_missing_is_thanked_for_what_was_written(client_as, requester, article):
    client = client_as(requester)
    vote = reverse("portal:knowledge-vote", args=[article.slug])
    client.post(vote, {"helpful": "no"})
    client.post(vote, {"helpful": "no", "step": "comment", "comment": "Which router?"})
    html = client.get(article_url(article)).content.decode()
    assert "We'll use what you wrote" in html and "What was missing?" not in html


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_an_overlong_comment_is_refused_with_a_message_and_kept(
    client_as, requester, article, headers
):
    response = client_as(requester).post(
        reverse("portal:knowledge-vote", args=[article.slug]),
        {"helpful": "no", "comment": "a" * 1001},
        headers=headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please keep it under 1000 characters (this is 1001)." in html
    assert "a" * 1001 in html
    assert not Feedback.objects.exists()


def test_a_vote_that_is_neither_yes_nor_no_changes_nothing(client_as, requester, article):
    response = client_as(requester).post(
        reverse("portal:knowledge-vote", args=[article.slug]), {"helpful": "maybe"}
    )
    assert response.status_code == 200
    assert not Feedback.objects.exists()


def test_still_need_help_carries_the_search_to_the_submit_form(
    client_as, requester, service, article
):
    client = client_as(requester)
    html = client.get(article_url(article, q="outlook+password+again")).content.decode()
    create = reverse("portal:ticket-create")
    assert f"{create}?subject=outlook+password+again&amp;service={service.pk}" in html
    form = client.get(f"{create}?subject=outlook+password+again&service={service.pk}")
    page = form.content.decode()
    assert 'value="outlook password again"' in page
    assert re.search(rf'<option value="{service.pk}" selected>', page)


def test_an_article_opened_from_the_submit_form_offers_this_solved_it(
    client_as, requester, article
):
    client = client_as(requester)
    plain = client.get(article_url(article)).content.decode()
    assert "This solved it" not in plain
    asking = client.get(article_url(article, q="outlook", **{"from": "form"})).content.decode()
    assert "This solved it" in asking and "still open in the other tab" in asking
    assert "Does this answer your question about “outlook”?" in asking


def test_an_article_opened_from_the_submit_form_asks_one_question(client_as, requester, article):
    """The banner's "This solved it / No, continue" and not a second Yes/No below it."""
    asking = client_as(requester).get(article_url(article, q="outlook", **{"from": "form"}))
    html = asking.content.decode()
    assert html.count("This solved it") == 1 and "No, continue with my request" in html
    assert "Did this solve your problem?" not in html and "Still need help?" not in html


def test_the_updated_date_is_when_the_text_last_changed(
    client_as, requester, agent, manager, service
):
    """An editor's new text today: the page said the date of the first publication."""
    import time_machine

    from knowledge import services
    from tests.knowledge.helpers import published, text

    with time_machine.travel("2026-05-17 09:00Z"):
        first = published(agent, editor=manager)
    with time_machine.travel("2026-06-02 09:00Z"):
        services.save_edit(
            first,
            text=text(body="1. Open the new client.\n2. Sign in."),
            based_on=first.current_revision_id,
            by=manager,
        )
    with time_machine.travel("2026-06-09 09:00Z"):  # filing only: the text is the same
        services.save_edit(
            Article.objects.get(pk=first.pk),
            text=text(body="1. Open the new client.\n2. Sign in."),
            based_on=Article.objects.get(pk=first.pk).current_revision_id,
            by=manager,
            services=[service],
        )
    html = client_as(requester).get(article_url(first)).content.decode()
    assert "Open the new client." in html
    assert 'Updated <time datetime="2026-06-02' in html and ">2 Jun 2026</time>" in html


def test_still_need_help_preselects_the_service_and_leaves_the_article_out_of_suggestions(
    client_as, requester, service, article
):
    """The form's first suggestion was the very article the person just left."""
    other = ArticleFactory.create(
        title="Outlook password prompts after a change", services=[service]
    )
    client = client_as(requester)
    html = client.get(article_url(article, q="outlook+password")).content.decode()
    create = reverse("portal:ticket-create")
    assert (
        f"{create}?subject=outlook+password&amp;service={service.pk}&amp;not={article.pk}" in html
    )
    form = client.get(
        create, {"subject": "outlook password", "service": service.pk, "not": article.pk}
    )
    page = form.content.decode()
    assert re.search(rf'<option value="{service.pk}" selected>', page)
    assert f'name="not" value="{article.pk}" id="id_not"' in page and "#id_not" in page
    suggest = reverse("portal:knowledge-suggest")
    found = client.get(
        suggest, {"subject": "outlook password", "not": article.pk}, headers=HTMX
    ).content.decode()
    assert other.title in found and article.title not in found
    found = client.get(suggest, {"subject": "outlook password"}, headers=HTMX).content.decode()
    assert article.title in found
    # An id that is not a number is no id: nothing left out, no error.
    bad = client.get(suggest, {"subject": "outlook password", "not": "1 or 1=1"}, headers=HTMX)
    assert bad.status_code == 200 and article.title in bad.content.decode()


def test_the_article_page_reads_a_fixed_number_of_queries(
    client_as, requester, agent, service, article, django_assert_num_queries
):
    client = client_as(requester)
    client.get(article_url(article))
    # Session, user, article, its services and tags, the opened search, the reader's vote,
    # screenshots, related articles; and the view's savepoint.
    with django_assert_num_queries(11) as few:
        client.get(article_url(article, s=1))
    vpn = Tag.objects.create(name="vpn")
    article.tags.add(vpn)
    article.services.add(ServiceFactory.create())
    for n in range(6):
        ArticleFactory.create(services=[service]).tags.add(vpn)
        image = ArticleImage(article=article, content_type="image/png", width=1, height=1)
        image.uploaded_by = agent
        image.file.save(f"step{n}.png", ContentFile(PNG), save=True)
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(article_url(article, s=1)).content.decode()
    assert html.count("<figure") == 6


def test_a_service_no_longer_offered_searches_every_service(client_as, requester, article):
    retired = ServiceFactory.create(is_active=False)
    response = client_as(requester).get(
        reverse("portal:knowledge-search"), {"q": "outlook", "service": retired.pk}
    )
    assert "Outlook keeps asking for my password" in response.content.decode()


def test_the_search_menu_of_services_follows_the_catalogue(
    client_as, requester, service, django_capture_on_commit_callbacks
):
    from servicedesk import versions

    client = client_as(requester)
    url = reverse("portal:knowledge-search")
    page = client.get(url, {"q": "outlook", "service": service.pk}).content.decode()
    assert f'<option value="{service.pk}" selected>{escape(service.name)}</option>' in page
    plain = client.get(url, {"q": "outlook"}).content.decode()
    assert f'<option value="{service.pk}">{escape(service.name)}</option>' in plain
    # A service renamed (the admin bumps the catalogue's version): the menu says so at once.
    type(service).objects.filter(pk=service.pk).update(name="Email and calendars")
    with django_capture_on_commit_callbacks(execute=True):
        versions.bump(versions.CATALOGUE)
    again = client.get(url, {"q": "outlook"}).content.decode()
    assert f'<option value="{service.pk}">Email and calendars</option>' in again


def test_a_help_article_that_is_gone_says_so_and_offers_a_search(client_as, requester, service):
    retired = ArticleFactory.create(
        title="Old VPN client", slug="old-vpn-client", status=Article.Status.RETIRED
    )
    client = client_as(requester)
    for slug in (retired.slug, "never-was-an-article"):  # the same page: nothing is told apart
        response = client.get(reverse("portal:knowledge-article", args=[slug]))
        page = response.content.decode()
        assert response.status_code == 404
        assert "We can't find that help article" in page and "Old VPN client" not in page
        assert f'action="{reverse("portal:knowledge-search")}"' in page
    other = client.get("/portal/tickets/999999/").content.decode()
    assert "We can't find that page" in other


def test_a_search_of_only_common_words_says_what_to_try(client_as, requester, article, ticket):
    page = client_as(requester).get(reverse("portal:knowledge-search"), {"q": "the"})
    html = page.content.decode()
    assert "has only words too common to search for" in html
    assert ticket.number not in html and "Your tickets" not in html
