"""A survey in a real browser: from the email in the development mailbox to the thank-you page."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys import services
from surveys.models import Answer, Invitation, SurveyRule
from tests.factories import TicketFactory
from tickets import notifications
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))


@pytest.fixture
def invited(settings, tmp_path, live_server, requester, service):
    """Ella's resolved ticket, invited by the beat, its email in the development mailbox."""
    settings.SITE_URL = live_server.url  # the email's links
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    SurveyRule.objects.update_or_create(
        name="Default", defaults={"is_default": True, "ask_ces": True}
    )
    now = timezone.now()
    ticket = TicketFactory.create(
        requester=requester,
        service=service,
        subject="Outlook keeps asking for my password",
        status=Ticket.Status.RESOLVED,
        resolved_at=now - timedelta(hours=2),
    )
    assert services.invite_due(now) == 1
    assert notifications.sweep(now=now) == 1
    return Invitation.objects.get(ticket=ticket)


@pytest.mark.parametrize("width", [1280, 390])
def test_from_the_email_click_a_score_confirm_with_a_comment_and_see_thanks(
    live_server, new_page, login, invited, width
):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "ella@example.com")
    page.goto(f"{live_server.url}/dev/mail/")
    page.get_by_role("link", name=re.compile("Tell us how we did")).click()
    # The HTML part, framed as a mail client shows it; its links open in the whole window.
    email = page.frame_locator("iframe.sd-mail-frame")
    expect(email.get_by_text("How satisfied are you")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"survey-email-{width}.png"), full_page=True)
    email.locator('a[href$="?score=4"]').click()

    expect(page.get_by_role("heading", name="Confirm your answer")).to_be_visible()
    expect(page.get_by_role("radio", name="Satisfied", exact=True)).to_be_checked()
    assert not Answer.objects.exists()  # opening the link records nothing
    page.screenshot(path=str(SCREENSHOTS / f"survey-answer-{width}.png"), full_page=True)

    # The choices are radio buttons drawn as buttons: a person clicks the button (the label).
    page.locator("label[for=id_ces_6]").click()
    expect(page.get_by_role("radio", name="Agree", exact=True)).to_be_checked()
    page.get_by_label("Anything you would like to tell us?").fill("Quick and friendly, thanks")
    page.get_by_role("button", name="Confirm my answer").click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(page.locator("#survey-thanks")).to_contain_text("You answered Satisfied")
    page.screenshot(path=str(SCREENSHOTS / f"survey-thanks-{width}.png"), full_page=True)
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    answers = dict(Answer.objects.values_list("instrument", "score"))
    assert answers == {"csat": 4, "ces": 6}
    assert Answer.objects.get(instrument="csat").comment == "Quick and friendly, thanks"
    invited.refresh_from_db()
    assert invited.status == "answered"
