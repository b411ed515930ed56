"""Every page each role can reach passes axe-core's serious and critical rules, on a desk and a phone.

The pages come from a table of role to URL names, so a new page is one line. Each test
visits all of one role's pages in one browser context at one width and fails once, at
the end, with every finding: rule, impact, the element's selector and HTML, and axe's
message (for colour contrast, the two colours and the ratio against the one required).
"""

from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from accounts.models import User
from knowledge import services as knowledge
from knowledge.models import Article, ArticleImage, Feedback
from surveys import links
from surveys import services as survey_services
from surveys.models import Invitation, SurveyRule
from tests.factories import ArticleFactory, TicketFactory
from tests.knowledge.helpers import current, png
from tests.portal.test_knowledge_pages import PNG
from tickets import notifications, services
from tickets.models import Level, Priority, Service, SLAOutcome, SLAPolicy, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": 1280, "phone": 390}
FAILING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class Page:
    """A page to check: a URL name (or a literal path starting with "/") and its arguments.

    An argument that is a string names an object of the demo data (see `demo_objects`);
    anything else is passed as it is.
    """

    url: str
    args: tuple[str | int, ...] = ()
    query: str = ""
    status: int = 200

    @property
    def label(self) -> str:
        return " ".join(filter(None, [self.url, *map(str, self.args), self.query]))

    def path(self, objects: dict[str, object]) -> str:
        if self.url.startswith("/"):
            path = self.url
        else:
            path = reverse(
                self.url, args=[objects[a] if isinstance(a, str) else a for a in self.args]
            )
        # A query may name demo objects too: "service={kb service}".
        query = self.query.format_map(objects)
        return f"{path}?{query}" if query else path


SIGNED_IN = [
    Page("accounts:profile"),
    Page("devmail:list"),
    Page("/no-such-page/", status=404),
]
ANONYMOUS = [
    Page("accounts:login"),
    Page("accounts:password_reset"),
    Page("accounts:password_reset_done"),
    Page("accounts:password_reset_confirm", ("reset uid", "reset token")),
    Page("accounts:password_reset_complete"),
    Page("/no-such-page/", status=404),
    # A survey link from an email: the answer page, a score off the scale, a link that fails.
    Page("portal:survey-answer", ("survey invitation", "survey token"), query="score=4"),
    Page(
        "portal:survey-answer", ("survey invitation", "survey token"), query="score=9", status=400
    ),
    Page("portal:survey-answer", ("survey invitation", "forged token"), status=404),
]
# The help articles, as readers see them (the demo objects "kb ..." are made below).
KNOWLEDGE = [
    Page("portal:knowledge-home"),
    Page("portal:knowledge-search", query="q=vpn"),
    Page("portal:knowledge-search", query="q=vpn&page=2"),  # More results / Better matches
    Page("portal:knowledge-search", query="q=no-article-says-this"),
    Page("portal:knowledge-search", query="service={kb service}"),
    Page("portal:knowledge-article", ("kb article",)),
    Page("portal:knowledge-article", ("kb article",), query="q=vpn&from=form"),
    Page("portal:knowledge-article", ("kb voted article",)),
    Page("portal:knowledge-glad", ("kb article",), query="from=form"),
    Page("portal:knowledge-suggest"),
    Page("portal:knowledge-suggest", query="subject=vpn"),
    Page("portal:knowledge-suggest", query="subject=no-article-says-this"),
]
END_USER = [
    Page("portal:home"),
    Page("portal:ticket-list"),
    Page("portal:ticket-list", query="show=closed"),
    Page("portal:ticket-detail", ("own new",)),
    Page("portal:ticket-detail", ("own open",)),
    Page("portal:ticket-detail", ("own pending",)),
    Page("portal:ticket-detail", ("own resolved",)),
    Page("portal:ticket-detail", ("own closed",)),
    Page("portal:ticket-create"),
    Page("portal:ticket-create", query="category=request"),
    *KNOWLEDGE,
    Page("portal:knowledge-article", ("kb agents article",), status=404),
    Page("portal:search", query="q=password"),
    Page("portal:surveys"),
    *SIGNED_IN,
]
WORKSPACE = [
    Page("workspace:queue"),
    Page("workspace:queue", query="queue=mine"),
    Page("workspace:queue", query="queue=team"),
    Page("workspace:queue", query="queue=all"),
    Page("workspace:queue", query="queue=all&priority=2&sort=due"),
    Page("workspace:queue", query="queue=all&status=pending&q=laptop"),
    Page("workspace:queue", query="queue=all&q=no-ticket-says-this"),
    Page("workspace:queue", query="queue=all&status=resolved&sort=-age"),
    Page("workspace:queue", query="queue=all&status=closed"),
    Page("workspace:queue", query="queue=all&status=cancelled"),
    Page("workspace:ticket-detail", ("team ticket",)),
    Page("workspace:ticket-detail", ("team ticket",), query="tab=history"),
    Page("dashboards:knowledge", query="days=90"),
    Page("workspace:ticket-articles", ("team ticket",)),
    Page("workspace:ticket-articles", ("team ticket",), query="q=vpn"),
    Page("portal:knowledge-article", ("kb agents article",)),
    Page("workspace:article-list"),
    Page("workspace:article-list", query="status=published&review=due&mine=on"),
    Page("workspace:article-new"),
    Page("workspace:article-edit", ("article",)),
    Page("workspace:article-history", ("article",)),
    Page("workspace:article-review"),
    Page("workspace:ticket-detail", ("answered ticket",)),
    Page("workspace:followups"),
    Page("workspace:pulse"),
    Page("portal:home"),
    *SIGNED_IN,
]
# What team leads and managers see of the surveys: their follow-ups and the dashboards.
SURVEYS = [
    Page("workspace:followups", query="show=closed"),
    Page("workspace:followup-detail", ("open follow-up",)),
    Page("workspace:followup-detail", ("closed follow-up",)),
    Page("dashboards:satisfaction"),
    Page("dashboards:pulse"),
]
PAGES = {
    "anonymous": ANONYMOUS,
    "end-user": END_USER,
    "agent": WORKSPACE,
    "team-lead": [*WORKSPACE, Page("dashboards:overview"), *SURVEYS],
    # A message in the development mailbox: admins may open anyone's.
    "admin": [
        *WORKSPACE,
        Page("dashboards:overview"),
        *SURVEYS,
        Page("devmail:detail", ("mail", 0)),
    ],
}
# Every badge and SLA label has a colour of its own: the staff's pages show each of them, so
# none escapes the contrast check.
EVERY_BADGE = {
    *(f"sd-prio-{priority}" for priority in Priority.values),
    *(f"sd-status-{status}" for status in Ticket.Status.values),
    *(f"sd-sla-{state}" for state in ("ok", "warning", "breached", "paused", "met", "none")),
}
SHOWN_BADGES = """Array.from(document.querySelectorAll("[class*='sd-']"))
  .flatMap(e => Array.from(e.classList)).filter(c => /^sd-(prio|status|sla)-/.test(c))"""
# The demo's people (see `seed_demo`); Maria leads the Service Desk team.
LOGINS = {
    "end-user": "ella.morgan@example.com",
    "agent": "sam.patel@example.com",
    "team-lead": "maria.jones@example.com",
    "admin": "admin@example.com",
}


@dataclass(frozen=True)
class KnownFinding:
    """A finding whose fix is a template change, allowed until the template is fixed."""

    url: str
    rule: str
    target: str
    widths: tuple[str, ...]
    fix: str


# Only findings that need a template change belong here, each with its fix. Remove an entry
# when its template is fixed: an entry that no longer matches a finding fails the test, so
# the list cannot outlive its findings.
KNOWN_TEMPLATE_FINDINGS: list[KnownFinding] = []


@pytest.fixture
def demo_objects(settings, tmp_path: Path) -> dict[str, object]:
    """The demo organisation, one delivered email, and the objects the pages point at."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    call_command("seed_demo", tickets=60, stdout=StringIO())
    call_command("seed_surveys", per_month=20, people=20, stdout=StringIO())
    ella = User.objects.get(email=LOGINS["end-user"])
    sam = User.objects.get(email=LOGINS["agent"])
    team_ticket = (
        Ticket.objects.visible_to(sam)
        .filter(team__name="Service Desk", status=Ticket.Status.OPEN, comments__isnull=False)
        .exclude(requester=ella)
        .order_by("pk")
        .first()
    )
    assert team_ticket is not None
    services.add_comment(team_ticket, body="A note only the team sees.", by=sam, internal=True)
    # What a small demo may lack in the agent's teams: a P1 close to its resolution target, a
    # P2, and a ticket with no SLA at all.
    email = Service.objects.get(name="Email & Calendar")
    now = timezone.now()
    TicketFactory.create(
        service=email,
        assignee=sam,
        status=Ticket.Status.OPEN,
        impact=Level.HIGH,
        urgency=Level.HIGH,
        sla_policy=SLAPolicy.objects.get(priority=Priority.P1),
        sla_running_since=now - timedelta(hours=3),
        sla_due_at=now + timedelta(minutes=45),
        response_outcome=SLAOutcome.MET,
        subject="Payroll run blocked for all of Finance",
    )
    TicketFactory.create(
        service=email, priority=Priority.P2, subject="Desk phone for a new starter"
    )
    services.add_comment(team_ticket, body="Please try again now.", by=sam)
    article = knowledge_article(sam, editor=User.objects.get(email=LOGINS["team-lead"]))
    notifications.sweep(now=timezone.now())
    # The demo's recently resolved tickets, invited as the survey beat would, under the default
    # rule the migration made (made anew: an earlier test's flush may have removed it).
    SurveyRule.objects.get_or_create(name="Default", defaults={"is_default": True})
    survey_services.invite_due(timezone.now())
    invitation = Invitation.objects.filter(status=Invitation.Status.PENDING).earliest("pk")
    own = {
        f"own {status}": Ticket.objects.filter(requester=ella, status=status).earliest("pk").pk
        for status in ("new", "open", "pending", "resolved", "closed")
    }
    return {
        **own,
        **help_articles(ella, sam),
        **survey_objects(User.objects.get(email=LOGINS["team-lead"])),
        "team ticket": team_ticket.pk,
        "article": article.pk,
        "mail": next(Path(settings.EMAIL_FILE_PATH).glob("*.log")).stem,
        "reset uid": urlsafe_base64_encode(force_bytes(ella.pk)),
        "reset token": default_token_generator.make_token(ella),
        "survey invitation": invitation.pk,
        "survey token": links.token_for(invitation, invitation.instrument),
        "forged token": "eyJpIjoxfQ:forged:signature",
    }


def help_articles(reader: User, agent: User) -> dict[str, object]:
    """Articles for the knowledge pages: one with screenshots and a video, one Ella has said
    did not help (her page asks what was missing), one for agents only."""
    vpn = Service.objects.get(name="VPN & Remote Access")
    body = "## Try these steps\n\n1. Restart your router.\n2. Connect to the VPN again.\n\n| Symptom | Cause |\n|---|---|\n| Drops | Router sleep |"
    article = ArticleFactory.create(
        title="VPN drops on home Wi-Fi",
        slug="a11y-vpn-drops",
        summary="Stop the VPN dropping every few minutes.",
        body=body,
        video_url="https://videos.example.com/vpn",
        services=[vpn],
        owner=agent,
    )
    image = ArticleImage(
        article=article, content_type="image/png", width=1, height=1, uploaded_by=agent
    )
    image.caption = "The VPN icon in the tray"
    image.file.save("tray.png", ContentFile(PNG), save=True)
    ArticleFactory.create(
        title="Connect to the VPN from home", slug="a11y-vpn-home", services=[vpn]
    )
    voted = ArticleFactory.create(
        title="VPN password expired", slug="a11y-vpn-password", services=[vpn]
    )
    Feedback.objects.create(article=voted, user=reader, helpful=False)
    for n in range(10):  # enough for a second page of results
        ArticleFactory.create(title=f"VPN tip {n + 1}", slug=f"a11y-vpn-tip-{n}", services=[vpn])
    agents = ArticleFactory.create(
        title="Reissue a VPN token",
        slug="a11y-vpn-token",
        audience=Article.Audience.AGENTS,
        services=[vpn],
    )
    return {
        "kb service": vpn.pk,
        "kb article": article.slug,
        "kb voted article": voted.slug,
        "kb agents article": agents.slug,
    }


def knowledge_article(author: User, *, editor: User) -> Article:
    """A published article with a screenshot and an edit waiting for review (every state the
    editor's pages show: the pending banner, the diff, the review queue's buttons)."""
    text = knowledge.Text(
        "Connect to the VPN from home",
        "Sign in to AnyConnect with your work account.",
        "1. Open **AnyConnect**.\n2. Type `vpn.example.com`.\n3. Sign in.",
        "https://video.example.com/vpn",
    )
    article = knowledge.create_article(text=text, submit=True, by=author)
    knowledge.approve_revision(current(article), by=editor)
    article.refresh_from_db()
    image = knowledge.upload_image(
        article, file=SimpleUploadedFile("step.png", png(24, 16)), caption="Sign-in", by=author
    )
    changed = (
        f"{text.body.replace('Type', 'In the server box, type')}\n\n![Sign-in](image:{image.pk})"
    )
    edit = knowledge.Text(text.title, text.summary, changed, text.video_url)
    knowledge.save_edit(article, text=edit, based_on=article.current_revision_id, by=author)
    return article


def survey_objects(lead: User) -> dict[str, object]:
    """An open and a closed follow-up of the lead's team, and a ticket with its answers: made
    here when a small demo has none."""
    from surveys import followups
    from surveys.models import FollowUp
    from tests.surveys.builders import answer, invite

    mine = followups.follow_ups_for(lead).filter(team__name="Service Desk")
    for status in (FollowUp.Status.OPEN, FollowUp.Status.CLOSED):
        if mine.filter(status=status, ticket__isnull=False).exists():
            continue
        now = timezone.now()
        ticket = TicketFactory.create(
            service=Service.objects.get(name="Email & Calendar"),
            status=Ticket.Status.CLOSED,
            resolved_at=now - timedelta(days=2),
            subject="Mailbox full again",
        )
        invitation = invite(ticket, at=now - timedelta(days=2))
        [low] = answer(invitation, 1, comment="Third time this month.", at=now - timedelta(days=1))
        if status == FollowUp.Status.CLOSED:
            followups.close_follow_up(
                low.follow_up,
                outcome=FollowUp.Outcome.COULD_NOT_REACH,
                action_taken="Mailbox quotas raised for the team.",
                by=lead,
            )
    open_one = mine.filter(status=FollowUp.Status.OPEN, ticket__isnull=False).earliest("pk")
    return {
        "open follow-up": open_one.pk,
        "closed follow-up": mine.filter(status=FollowUp.Status.CLOSED).earliest("pk").pk,
        "answered ticket": open_one.ticket_id,
    }


def signed_in_cookie(email: str, url: str) -> dict[str, str]:
    client = Client()
    client.force_login(User.objects.get(email=email))
    name = django_settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": url}


def open_the_menu(tab) -> None:
    """On a phone the main menu is folded away, and axe checks only what is shown."""
    toggler = tab.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(tab.locator("#main-nav")).to_be_visible()


def run_axe(tab) -> list[dict]:
    """Serious and critical violations on the page; axe itself is loaded by the context."""
    results = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def report(where: str, violation: dict, node: dict) -> str:
    messages = [check["message"] for kind in ("any", "all", "none") for check in node[kind]]
    return "\n".join(
        [
            f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}",
            f"    target: {', '.join(map(str, node['target']))}",
            f"    html:   {' '.join(node['html'].split())[:300]}",
            *(f"    {message}" for message in messages),
        ]
    )


@pytest.mark.parametrize("width", WIDTHS.keys())
@pytest.mark.parametrize("role", PAGES.keys())
def test_every_page_of_the_role_has_no_serious_accessibility_finding(
    live_server, browser, demo_objects, role: str, width: str
) -> None:
    # axe-core (the copy axe-playwright-python ships) arrives as an init script: the browser
    # gets its 500 KB once per context, not once per page, and the Content-Security-Policy
    # (no inline scripts) does not govern it, so the pages are served as in production.
    # Reduced motion makes Bootstrap open the phone's menu at once, without a transition.
    context = browser.new_context(
        viewport={"width": WIDTHS[width], "height": 900}, reduced_motion="reduce"
    )
    context.add_init_script(AXE_SCRIPT)
    if role in LOGINS:
        context.add_cookies([signed_in_cookie(LOGINS[role], live_server.url)])
    tab = context.new_page()
    known = {
        (k.url, k.rule, k.target): k
        for k in KNOWN_TEMPLATE_FINDINGS
        if width in k.widths and k.url in {page.url for page in PAGES[role]}
    }
    findings, seen, badges = [], set(), set()
    try:
        for page in PAGES[role]:
            response = tab.goto(live_server.url + page.path(demo_objects))
            assert response is not None and response.status == page.status, (
                f"{page.label} answered {response and response.status} at {tab.url}"
            )
            open_the_menu(tab)
            badges.update(tab.evaluate(SHOWN_BADGES))
            for violation in run_axe(tab):
                for node in violation["nodes"]:
                    key = (page.url, violation["id"], " ".join(map(str, node["target"])))
                    if key in known:
                        seen.add(key)
                    else:
                        findings.append(report(f"{page.label} ({width})", violation, node))
    finally:
        context.close()
    assert not findings, f"{len(findings)} serious or critical findings:\n" + "\n".join(findings)
    assert seen == known.keys(), f"Fixed, remove from the known findings: {known.keys() - seen}"
    if role in ("agent", "team-lead", "admin"):
        assert badges >= EVERY_BADGE, f"No page showed {sorted(EVERY_BADGE - badges)}"
