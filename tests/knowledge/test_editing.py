"""Writing articles: revisions, review before publishing, who may publish, conflicts, restore."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from knowledge import services
from knowledge.models import Article, Revision, TicketLink
from tests.factories import ArticleFactory, TicketFactory
from tests.knowledge.helpers import current, published, text

Status, State = Article.Status, Revision.State
EDITORS = ["manager", "admin_user", "knowledge_editor"]


def reader_text(article: Article, reader) -> str:
    """The body a reader gets, by the road the portal uses."""
    return Article.objects.for_readers(reader).get(pk=article.pk).body


def test_a_new_article_is_a_draft_with_its_first_revision(agent, service):
    article = services.create_article(
        text=text(summary="From home or a hotel."),
        services=[service],
        tags=["VPN", "remote", "vpn"],
        comment="First go",
        by=agent,
    )
    assert (article.status, article.owner, article.slug) == (
        Status.DRAFT,
        agent,
        "connect-to-the-vpn",
    )
    revision = current(article)
    assert (revision.author, revision.comment, revision.state) == (agent, "First go", State.DRAFT)
    assert (revision.title, revision.body) == (article.title, article.body)
    assert list(article.services.all()) == [service]
    assert sorted(article.tags.values_list("name", flat=True)) == ["remote", "vpn"]


def test_slugs_are_unique_and_stay_when_the_title_changes(agent):
    first = services.create_article(text=text(), by=agent)
    second = services.create_article(text=text(), by=agent)
    third = services.create_article(text=text(), by=agent)
    assert [first.slug, second.slug, third.slug] == [
        "connect-to-the-vpn",
        "connect-to-the-vpn-2",
        "connect-to-the-vpn-3",
    ]
    services.save_edit(
        first, text=text("Join the VPN"), based_on=first.current_revision_id, by=agent
    )
    first.refresh_from_db()
    assert (first.title, first.slug) == ("Join the VPN", "connect-to-the-vpn")


def test_a_title_without_letters_still_gets_an_address(agent):
    assert services.create_article(text=text("???"), by=agent).slug == "article"


def test_every_saved_edit_is_a_revision_with_its_author_time_and_comment(agent, second_agent):
    article = services.create_article(text=text(), by=agent)
    first = current(article)
    second = services.save_edit(
        article,
        text=text(body="1. Open it."),
        based_on=first.pk,
        comment="Shorter",
        by=second_agent,
    )
    assert (second.author, second.comment, second.based_on) == (second_agent, "Shorter", first)
    assert second.created_at >= first.created_at
    assert list(article.revisions.order_by("pk")) == [first, second]
    article.refresh_from_db()
    assert (article.body, current(article)) == ("1. Open it.", second)


def test_saving_the_same_text_makes_no_new_revision(agent):
    article = services.create_article(text=text(), by=agent)
    same = services.save_edit(
        article, text=text(), based_on=article.current_revision_id, tags=["vpn"], by=agent
    )
    assert same == current(article)
    assert article.revisions.count() == 1
    assert list(article.tags.values_list("name", flat=True)) == ["vpn"]


def test_an_agents_edit_of_a_published_article_waits_for_review(agent, manager, requester):
    article = published(agent, editor=manager)
    edit = services.save_edit(
        article,
        text=text(body="1. Use the new client."),
        based_on=article.current_revision_id,
        by=agent,
    )
    assert edit.state == State.IN_REVIEW
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert reader_text(article, requester) == "1. Open AnyConnect.\n2. Sign in."
    assert services.pending_revision(article) == edit
    # The editor page starts from the edit in review, so a second edit builds on it.
    assert services.working_revision(article) == edit


def test_approving_the_edit_shows_its_text_to_readers(agent, manager, requester):
    article = published(agent, editor=manager)
    edit = services.save_edit(
        article,
        text=text(body="1. Use the new client."),
        based_on=article.current_revision_id,
        by=agent,
    )
    services.approve_revision(edit, note="Thanks", by=manager)
    edit.refresh_from_db()
    assert (edit.state, edit.reviewed_by, edit.review_note) == (State.APPROVED, manager, "Thanks")
    assert reader_text(article, requester) == "1. Use the new client."
    article.refresh_from_db()
    assert current(article) == edit


def test_rejecting_needs_a_note_and_readers_keep_the_published_text(agent, manager, requester):
    article = published(agent, editor=manager)
    edit = services.save_edit(
        article, text=text(body="Wrong"), based_on=article.current_revision_id, by=agent
    )
    with pytest.raises(ValidationError, match="Say what needs to change"):
        services.reject_revision(edit, note="  ", by=manager)
    services.reject_revision(edit, note="Step 2 is missing", by=manager)
    edit.refresh_from_db()
    assert (edit.state, edit.review_note) == (State.REJECTED, "Step 2 is missing")
    assert reader_text(article, requester) == "1. Open AnyConnect.\n2. Sign in."
    assert services.working_revision(article) == current(article)
    with pytest.raises(ValidationError, match="no longer waiting"):
        services.approve_revision(edit, by=manager)


@pytest.mark.parametrize("persona", EDITORS)
def test_an_editors_edit_of_a_published_article_is_published_at_once(
    persona, request, agent, manager, requester
):
    editor = request.getfixturevalue(persona)
    article = published(agent, editor=manager)
    edit = services.save_edit(
        article, text=text(body="1. New steps."), based_on=article.current_revision_id, by=editor
    )
    assert (edit.state, edit.reviewed_by) == (State.APPROVED, editor)
    assert reader_text(article, requester) == "1. New steps."


def test_an_agent_sends_a_new_article_for_review_and_an_editor_publishes_it(
    agent, knowledge_editor, requester
):
    article = services.create_article(text=text(), by=agent)
    services.submit_for_review(article, by=agent)
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert not Article.objects.for_readers(requester).exists()
    services.approve_revision(current(article), by=knowledge_editor)
    article.refresh_from_db()
    assert (article.status, article.published_at is not None) == (Status.PUBLISHED, True)
    assert reader_text(article, requester) == article.body


def test_a_new_article_sent_back_is_a_draft_again_with_the_note(agent, manager):
    article = services.create_article(text=text(), by=agent, submit=True)
    services.reject_revision(current(article), note="Add a screenshot", by=manager)
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert current(article).review_note == "Add a screenshot"
    with pytest.raises(ValidationError, match="not approved"):
        services.save_edit(
            article, text=text(), based_on=article.current_revision_id, submit=True, by=agent
        )
    fixed = services.save_edit(
        article,
        text=text(body="1. Open AnyConnect.\n\n2. Choose the office VPN and sign in."),
        based_on=article.current_revision_id,
        submit=True,
        by=agent,
    )
    assert fixed.state == State.IN_REVIEW


def test_an_edit_on_top_of_an_edit_in_review_takes_its_place(agent, second_agent, manager):
    article = published(agent, editor=manager)
    first = services.save_edit(
        article, text=text(body="Edit one"), based_on=article.current_revision_id, by=agent
    )
    second = services.save_edit(
        article, text=text(body="Edit two"), based_on=first.pk, by=second_agent
    )
    first.refresh_from_db()
    assert (first.state, second.state) == (State.DRAFT, State.IN_REVIEW)
    assert list(Revision.objects.filter(state=State.IN_REVIEW)) == [second]


def test_a_stale_edit_is_a_conflict_and_saves_nothing(agent, second_agent):
    article = services.create_article(text=text(), by=agent)
    opened = article.current_revision_id
    services.save_edit(article, text=text(body="Chloe's steps"), based_on=opened, by=second_agent)
    with pytest.raises(services.ConflictError, match="Chloe Martin saved a newer version"):
        services.save_edit(article, text=text(body="Sam's steps"), based_on=opened, by=agent)
    article.refresh_from_db()
    assert article.body == "Chloe's steps"
    assert article.revisions.count() == 2


def test_the_first_edit_of_an_article_without_revisions_is_checked_too(agent, second_agent):
    article = ArticleFactory.create(status=Status.DRAFT)
    services.save_edit(article, text=text(body="First"), based_on=0, by=second_agent)
    with pytest.raises(services.ConflictError):
        services.save_edit(article, text=text(body="Also first"), based_on=0, by=agent)


@pytest.mark.parametrize(
    ("persona", "state", "readers_see_it"),
    [("agent", State.IN_REVIEW, False), ("manager", State.APPROVED, True)],
)
def test_restore_brings_back_old_text_under_the_review_rule(
    persona, state, readers_see_it, request, agent, manager, requester
):
    user = request.getfixturevalue(persona)
    article = published(agent, editor=manager)
    old = current(article)
    newer = services.save_edit(article, text=text(body="Newer"), based_on=old.pk, by=manager)
    restored = services.restore_revision(article, old, based_on=newer.pk, by=user)
    assert (restored.body, restored.state, restored.based_on) == (old.body, state, newer)
    assert f"Restored revision {old.pk}" in restored.comment
    assert (reader_text(article, requester) == old.body) is readers_see_it


def test_restore_of_another_articles_revision_is_refused(agent):
    one = services.create_article(text=text(), by=agent)
    other = services.create_article(text=text("Other"), by=agent)
    with pytest.raises(ValidationError, match="another article"):
        services.restore_revision(one, current(other), based_on=None, by=agent)


def test_only_an_editor_changes_who_reads_a_published_article(agent, manager):
    article = published(agent, editor=manager)
    with pytest.raises(ValidationError, match="Only a knowledge editor"):
        services.save_edit(
            article,
            text=text(),
            based_on=article.current_revision_id,
            audience=Article.Audience.AGENTS,
            by=agent,
        )
    services.save_edit(
        article, text=text(), based_on=article.current_revision_id, audience="agents", by=manager
    )
    article.refresh_from_db()
    assert article.audience == Article.Audience.AGENTS


def test_filing_applies_at_once_and_the_review_date_is_kept_unless_given(agent, manager, service):
    article = published(agent, editor=manager, review_by=date(2030, 1, 1))
    services.save_edit(
        article, text=text(), based_on=article.current_revision_id, services=[service], by=agent
    )
    article.refresh_from_db()
    assert (list(article.services.all()), article.review_by) == ([service], date(2030, 1, 1))


def test_retire_and_publish_again(agent, manager, requester):
    article = published(agent, editor=manager)
    services.retire_article(article, by=manager)
    article.refresh_from_db()
    assert (article.status, article.retired_at is not None) == (Status.RETIRED, True)
    assert not Article.objects.for_readers(requester).exists()
    with pytest.raises(ValidationError, match="already retired"):
        services.retire_article(article, by=manager)
    services.publish_article(article, by=manager)
    article.refresh_from_db()
    assert (article.status, article.retired_at) == (Status.PUBLISHED, None)
    with pytest.raises(ValidationError, match="already published"):
        services.publish_article(article, by=manager)


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_may_publish_a_draft_directly(persona, request, agent):
    editor = request.getfixturevalue(persona)
    article = services.create_article(text=text(), by=agent)
    services.publish_article(article, by=editor)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert current(article).state == State.APPROVED
    assert services.create_article(text=text(), publish=True, by=editor).status == Status.PUBLISHED


def test_an_agent_without_the_editor_flag_cannot_publish_retire_or_review(
    agent, second_agent, manager
):
    draft = services.create_article(text=text(), by=agent, submit=True)
    live = published(agent, editor=manager)
    for attempt in [
        lambda: services.publish_article(draft, by=second_agent),
        lambda: services.retire_article(live, by=second_agent),
        lambda: services.approve_revision(current(draft), by=second_agent),
        lambda: services.reject_revision(current(draft), note="no", by=second_agent),
        lambda: services.create_article(text=text(), publish=True, by=second_agent),
        lambda: services.save_edit(
            draft, text=text(), based_on=None, publish=True, by=second_agent
        ),
    ]:
        with pytest.raises(PermissionDenied):
            attempt()
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert not services.can_publish(second_agent)


def test_the_editor_flag_may_come_from_a_group(agent):
    from django.contrib.auth.models import Group, Permission

    editors = Group.objects.create(name="Knowledge editors")
    editors.permissions.add(Permission.objects.get(codename="publish_article"))
    agent.groups.add(editors)
    assert services.can_publish(type(agent).objects.get(pk=agent.pk))


def test_end_users_can_do_none_of_it(requester, agent, manager):
    live = published(agent, editor=manager)
    for attempt in [
        lambda: services.create_article(text=text(), by=requester),
        lambda: services.save_edit(live, text=text(body="x"), based_on=None, by=requester),
        lambda: services.submit_for_review(live, by=requester),
        lambda: services.publish_article(live, by=requester),
        lambda: services.retire_article(live, by=requester),
        lambda: services.approve_revision(current(live), by=requester),
        lambda: services.restore_revision(live, current(live), based_on=None, by=requester),
    ]:
        with pytest.raises(PermissionDenied):
            attempt()
    assert not services.can_publish(requester)


def test_an_article_written_from_a_ticket_is_linked_to_it(agent, ticket):
    article = services.create_article(text=text(), ticket=ticket, by=agent)
    link = TicketLink.objects.get()
    assert (link.ticket, link.article, link.relation, link.linked_by) == (
        ticket,
        article,
        TicketLink.Relation.CREATED_FROM,
        agent,
    )


def test_an_article_cannot_be_written_from_a_ticket_the_agent_may_not_see(other_agent, ticket):
    with pytest.raises(PermissionDenied):
        services.create_article(text=text(), ticket=ticket, by=other_agent)
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"body": "\n\n"}, "body"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
    ],
)
def test_bad_text_is_refused_with_a_message_on_its_field(agent, changes, field):
    with pytest.raises(ValidationError) as refused:
        services.create_article(text=text(**changes), by=agent)
    assert field in refused.value.error_dict
    assert not Article.objects.exists()


def test_submitting_is_for_drafts(agent, manager):
    live = published(agent, editor=manager)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.submit_for_review(live, by=agent)


def test_two_articles_written_from_one_ticket_are_each_linked(agent, service):
    ticket = TicketFactory.create(service=service)
    services.create_article(text=text(), ticket=ticket, by=agent)
    services.create_article(text=text(), ticket=ticket, by=agent)
    assert TicketLink.objects.filter(ticket=ticket).count() == 2
