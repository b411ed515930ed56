"""The editor in a real browser: an agent writes with the live preview, a manager publishes."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from knowledge.models import Article

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_writes_an_article_and_a_manager_approves_it(
    live_server, new_page, login, agent, manager, requester, service
):
    sam = new_page()
    login(sam, "sam@example.com")
    sam.get_by_role("link", name="Knowledge").click()
    sam.get_by_role("link", name="New article").click()
    sam.get_by_label("Title", exact=True).fill("Connect to the VPN from home")
    steps = sam.get_by_label("Steps", exact=True)
    steps.fill("1. Open **AnyConnect**.\n2. Sign in.\n\n<script>document.title='owned'</script>")
    # The preview follows the typing (debounced), through the readers' sanitiser.
    preview = sam.locator("#article-preview")
    expect(preview.locator("strong")).to_have_text("AnyConnect")
    expect(preview.locator("h3")).to_have_text("Connect to the VPN from home")
    steps.press("End")
    steps.press_sequentially("\n3. Choose *Connect*.")
    expect(preview.locator("em")).to_have_text("Connect")
    expect(preview.locator("script")).to_have_count(0)
    assert sam.title() != "owned"
    sam.get_by_label("Email & Calendar").check()
    sam.get_by_role("button", name="Save and send for review").click()
    expect(sam.get_by_text("Sent for review")).to_be_visible()
    article = Article.objects.get()
    assert article.status == Article.Status.IN_REVIEW
    assert not Article.objects.for_readers(requester).exists()

    maria = new_page()
    login(maria, "maria@example.com")
    maria.goto(live_server.url + reverse("workspace:article-review"))
    row = maria.get_by_role("row", name=re.compile("Connect to the VPN from home"))
    expect(row).to_contain_text("New article")
    row.get_by_role("button", name=re.compile("Approve")).click()
    expect(maria.get_by_text("approved: readers see it now")).to_be_visible()
    expect(maria.locator("#review-empty")).to_be_visible()

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    readers_copy = Article.objects.for_readers(requester).get()
    assert "3. Choose *Connect*." in readers_copy.body
    assert list(readers_copy.services.all()) == [service]
