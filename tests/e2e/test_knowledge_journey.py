"""Knowledge in a real browser: suggestions while typing end a request without a ticket;
the "search first" step does the same without JavaScript; an agent sends an article."""

import re

import pytest
from playwright.sync_api import expect

from knowledge.models import Deflection, SearchLog, TicketLink
from tests.factories import ArticleFactory, workspace_url
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vpn_article(service):
    return ArticleFactory.create(
        title="VPN disconnects every few minutes",
        slug="vpn-disconnects",
        summary="Stop the VPN dropping on home Wi-Fi.",
        body="1. Restart your router.\n2. Connect to the VPN again.",
        services=[service],
    )


def test_typing_a_subject_shows_suggestions_and_this_solved_it_sends_no_ticket(
    live_server, new_page, login, requester, service, vpn_article
):
    ella = new_page()
    login(ella, "ella@example.com")
    ella.goto(f"{live_server.url}/portal/tickets/new/")
    ella.get_by_label("Which service is it about?").select_option(label="Email & Calendar")
    ella.get_by_label("Summary").press_sequentially("vpn disconnects", delay=40)
    ella.get_by_label("Details").fill("Since Monday, at home.")
    suggestions = ella.locator("#article-suggestions")
    expect(suggestions).to_contain_text("may answer it")
    link = suggestions.get_by_role("link", name=re.compile("VPN disconnects every few minutes"))
    expect(link).to_be_visible()
    # One suggestion box: its requests as Ella typed are one row of the search log.
    assert SearchLog.objects.get().query == "vpn disconnects"

    # The article opens in a tab of its own; the form keeps what she typed.
    with ella.context.expect_page() as opened:
        link.click()
    article = opened.value
    expect(article.get_by_role("heading", level=1)).to_have_text(vpn_article.title)
    expect(article.get_by_text("Restart your router.")).to_be_visible()
    article.get_by_role("button", name="This solved it").click()
    expect(article.get_by_role("heading", name="Glad that helped")).to_be_visible()
    expect(ella.get_by_label("Details")).to_have_value("Since Monday, at home.")

    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.article, deflection.service) == (
        requester,
        vpn_article,
        service,
    )
    search = SearchLog.objects.get()
    assert (search.opened_article, search.solved, search.ticket) == (vpn_article, True, None)
    assert not Ticket.objects.exists()


def test_without_javascript_search_first_then_this_solved_it(
    live_server, browser, login, requester, service, vpn_article
):
    context = browser.new_context(java_script_enabled=False)
    try:
        ella = context.new_page()
        login(ella, "ella@example.com")
        ella.goto(f"{live_server.url}/portal/tickets/new/")
        ella.get_by_role("textbox", name=re.compile("Check for an answer first")).fill(
            "vpn disconnects"
        )
        ella.get_by_role("button", name="Find answers").click()
        ella.get_by_role("link", name="VPN disconnects every few minutes").click()
        ella.get_by_role("button", name="This solved it").click()
        expect(ella.get_by_role("heading", name="Glad that helped")).to_be_visible()
    finally:
        context.close()
    assert Deflection.objects.get().article == vpn_article
    assert SearchLog.objects.get().solved
    assert not Ticket.objects.exists()


def test_an_agent_inserts_an_articles_link_into_the_reply_and_links_it(
    live_server, new_page, login, agent, ticket, service
):
    article = ArticleFactory.create(
        title="Outlook keeps asking for my password",
        slug="outlook-password",
        services=[service],
    )
    sam = new_page()
    login(sam, "sam@example.com")
    sam.goto(f"{live_server.url}{workspace_url(ticket)}")
    panel = sam.locator("#ticket-articles")
    expect(panel).to_contain_text("Suggested for this ticket")
    sam.get_by_label("Message").fill("Hello Ella,")
    panel.get_by_role("button", name=re.compile("Insert a link to Outlook")).click()
    expect(sam.get_by_label("Message")).to_have_value(
        re.compile(
            r"^Hello Ella,\nOutlook keeps asking for my password: http\S+/outlook-password/$"
        )
    )
    panel.get_by_role("button", name=re.compile("Link Outlook")).click()
    expect(panel).to_contain_text("Linked to this ticket")
    assert TicketLink.objects.get().article == article
    panel.get_by_role("button", name=re.compile("Unlink")).click()
    expect(panel).not_to_contain_text("Linked to this ticket")
    assert not TicketLink.objects.exists()


def test_no_asks_what_was_missing_in_place(live_server, new_page, login, requester, vpn_article):
    ella = new_page()
    login(ella, "ella@example.com")
    ella.goto(f"{live_server.url}/portal/help/articles/{vpn_article.slug}/")
    feedback = ella.locator("#article-feedback")
    feedback.get_by_role("button", name="No").click()
    feedback.get_by_label("What was missing?").fill("Which router? I have two.")
    feedback.get_by_role("button", name="Send").click()
    expect(feedback).to_contain_text("Thanks for telling us")
    assert ella.url.endswith(f"/{vpn_article.slug}/")  # answered in place, no reload
    vpn_article.refresh_from_db()
    assert vpn_article.unhelpful_count == 1
    assert vpn_article.feedback.get().comment == "Which router? I have two."
