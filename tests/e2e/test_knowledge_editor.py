"""The editor in a real browser: an agent writes with the live preview, a manager publishes
and removes a screenshot."""

import re

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from knowledge import services
from knowledge.models import Article, ArticleImage
from tests.e2e.test_accessibility import WIDTHS, report, run_axe
from tests.factories import ServiceFactory
from tests.knowledge.helpers import current, png, published, text

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


def test_an_editor_removes_a_screenshot_in_place_or_without_javascript(
    live_server, browser, new_page, login, agent, manager
):
    article = services.create_article(text=text(), submit=True, by=agent)
    services.approve_revision(current(article), by=manager)
    shots = [
        services.upload_image(
            article, file=SimpleUploadedFile("s.png", png(24, 16)), caption=caption, by=agent
        )
        for caption in ("Tray icon", "Sign-in box", "Old dialog")
    ]
    article.refresh_from_db()
    services.save_edit(
        article,
        text=text(body=f"1. Open AnyConnect.\n2. Sign in. ![Sign-in box](image:{shots[1].pk})"),
        based_on=article.current_revision_id,
        by=manager,
    )
    editor_url = live_server.url + reverse("workspace:article-edit", args=[article.pk])

    maria = new_page()
    login(maria, "maria@example.com")
    maria.goto(editor_url)
    images = maria.locator("#article-images")
    # The screenshot the text shows says so instead of offering the button.
    images.get_by_text("Remove screenshot “Sign-in box”…").click()
    expect(images.get_by_text("Step 2 of the published text still shows this")).to_be_visible()
    images.get_by_text("Remove screenshot “Sign-in box”…").click()  # closes it again
    images.get_by_text("Remove screenshot “Tray icon”…").click()
    expect(images.get_by_text("Remove “Tray icon”? Its picture is deleted")).to_be_visible()
    maria.get_by_label("Steps", exact=True).fill("Typed, not saved yet.")
    images.get_by_role("button", name="Remove now").click()
    expect(images.get_by_text("Screenshot “Tray icon” removed.")).to_be_visible()
    expect(images.locator("li")).to_have_count(2)
    # htmx swapped the list alone: the text being typed is still there.
    expect(maria.get_by_label("Steps", exact=True)).to_have_value("Typed, not saved yet.")
    assert not ArticleImage.objects.filter(pk=shots[0].pk).exists()
    assert not default_storage.exists(shots[0].file.name)

    # Without JavaScript the disclosure still confirms and the form posts and redirects.
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        login(plain, "maria@example.com")
        plain.goto(editor_url)
        plain.get_by_text("Remove screenshot “Old dialog”…").click()
        plain.get_by_role("button", name="Remove now").click()
        expect(plain.get_by_text("Screenshot “Old dialog” removed.")).to_be_visible()
        expect(plain.locator("#article-images li")).to_have_count(1)
    finally:
        context.close()
    assert list(ArticleImage.objects.values_list("caption", flat=True)) == ["Sign-in box"]


@pytest.mark.parametrize("width", WIDTHS.keys())
def test_the_editor_with_a_long_preview_and_many_services_passes_axe(
    live_server, browser, login, agent, manager, width
):
    """A preview long enough to scroll can be reached with the keyboard (axe's
    scrollable-region-focusable), and the service the article is filed under shows above the
    list it is ticked in, however far down."""
    for n in range(25):
        ServiceFactory.create(name=f"Area {n:02}")
    steps = "\n".join(
        f"{n}. Step {n}: open the settings and check the option again." for n in range(1, 80)
    )
    article = published(agent, editor=manager, text=text(body=steps))
    article.services.set([ServiceFactory.create(name="Printing")])
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
    context.add_init_script(AXE_SCRIPT)
    try:
        tab = context.new_page()
        login(tab, "maria@example.com")
        tab.goto(live_server.url + reverse("workspace:article-edit", args=[article.pk]))
        filed = tab.locator("#filed-under")
        expect(filed).to_have_text("Filed under: Printing")
        # The ticked service sits below the list's visible part; the line above it says it.
        tab.locator(".sd-kb-filing").scroll_into_view_if_needed()
        expect(filed).to_be_in_viewport()
        expect(tab.get_by_label("Printing")).not_to_be_in_viewport()
        preview = tab.locator(".sd-kb-preview-body")
        if width == "desktop":
            assert preview.evaluate("e => e.scrollHeight > e.clientHeight"), "the preview scrolls"
            preview.focus()
            tab.keyboard.press("End")
            tab.wait_for_timeout(300)  # the scroll is smooth, not instant
            assert preview.evaluate("e => e.scrollTop") > 0, "End scrolls the focused preview"
        findings = [
            report(f"article-edit ({width})", violation, node)
            for violation in run_axe(tab)
            for node in violation["nodes"]
        ]
        assert not findings, "\n".join(findings)
        # Ticking another service says so above the list at once.
        tab.get_by_label("Area 03").check()
        expect(filed).to_have_text("Filed under: Area 03, Printing")
        tab.get_by_label("Printing").uncheck()
        tab.get_by_label("Area 03").uncheck()
        expect(filed).to_have_text("Not filed under any service yet.")
    finally:
        context.close()


def test_insert_in_the_steps_puts_the_screenshot_in_a_paragraph_of_its_own(
    live_server, new_page, login, agent, manager
):
    article = published(agent, editor=manager, text=text(body="1. Open AnyConnect.\n2. Sign in."))
    shot = services.upload_image(
        article, file=SimpleUploadedFile("s.png", png(24, 16)), caption="Tray icon", by=agent
    )
    maria = new_page()
    login(maria, "maria@example.com")
    maria.goto(live_server.url + reverse("workspace:article-edit", args=[article.pk]))
    steps = maria.get_by_label("Steps", exact=True)
    steps.evaluate("area => area.setSelectionRange(19, 19)")  # after "1. Open AnyConnect."
    maria.get_by_role("button", name="Insert in the steps").click()
    snippet = f"![Tray icon](image:{shot.pk})"
    expect(steps).to_have_value(f"1. Open AnyConnect.\n\n{snippet}\n\n2. Sign in.")
    # The preview shows the picture as a paragraph, not inside the step's text.
    image = maria.locator("#article-preview img")
    expect(image).to_have_count(1)
    assert image.evaluate("img => img.parentElement.textContent.trim()") == ""
    # At the end of the text, the picture still gets a paragraph of its own.
    steps.evaluate("area => area.setSelectionRange(area.value.length, area.value.length)")
    maria.get_by_role("button", name="Insert in the steps").click()
    expect(steps).to_have_value(f"1. Open AnyConnect.\n\n{snippet}\n\n2. Sign in.\n\n{snippet}\n\n")
