"""Removing a screenshot: by those whose changes reach readers at once, only when no text
shows it, the row at once and the stored file after the commit."""

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from knowledge import services
from knowledge.markdown import ImagePlace, image_places
from knowledge.models import Article, ArticleImage
from tests.knowledge.helpers import png, published, text

HTMX = {"HX-Request": "true"}
Status = Article.Status


def upload(article: Article, by, caption: str = "Sign-in") -> ArticleImage:
    return services.upload_image(
        article, file=SimpleUploadedFile("step.png", png(6, 4)), caption=caption, by=by
    )


def stored(image: ArticleImage) -> bool:
    return default_storage.exists(image.file.name)


def kept(image: ArticleImage) -> bool:
    return ArticleImage.objects.filter(pk=image.pk).exists() and stored(image)


@pytest.fixture
def draft(agent):
    return services.create_article(text=text(), by=agent)


@pytest.fixture
def article(agent, manager):
    return published(agent, editor=manager)


def edit(article: Article, body: str, *, by) -> None:
    article.refresh_from_db()
    working = services.working_revision(article)
    assert working is not None
    services.save_edit(article, text=text(body=body), based_on=working.pk, by=by)
    article.refresh_from_db()


# Where a text shows a picture: read from the tree the renderer builds.


def test_image_places_name_the_step_or_section_readers_see():
    body = (
        "Before anything ![a](image:1)\n\n"
        "## Before you start\n\n"
        "Check the cable. ![b](image:2)\n\n"
        "1. Open **Settings**.\n"
        "2. Choose *Network* ![c](IMAGE:003)\n"
        "    1. Pick the Wi-Fi [as shown](image:4)\n\n"
        "[five]: image:5\n\n"
        "3. Done ![e][five]\n"
    )
    assert image_places(body) == [
        ImagePlace(1),
        ImagePlace(2, section="Before you start"),
        ImagePlace(3, step="2", section="Before you start"),
        ImagePlace(4, step="2.1", section="Before you start", linked=True),
        ImagePlace(5, step="3", section="Before you start"),
    ]
    assert [str(place) for place in image_places(body)] == [
        "the text",
        "the section “Before you start”",
        "step 2",
        "step 2.1",
        "step 3",
    ]


def test_words_that_only_look_like_a_reference_are_not_places():
    body = "Type `![x](image:7)` to show one; image:7 in a sentence; ![y](image:71) ![z](img:7)"
    assert [place.image_id for place in image_places(body)] == [71]


# Who may remove.


@pytest.mark.parametrize("persona", ["agent", "second_agent", "manager", "admin_user"])
def test_staff_remove_a_screenshot_of_an_article_readers_do_not_have(
    request, agent, draft, persona, django_capture_on_commit_callbacks
):
    image = upload(draft, agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_image(image, by=request.getfixturevalue(persona))
    assert not ArticleImage.objects.filter(pk=image.pk).exists()
    assert not stored(image)


def test_an_agent_removes_a_screenshot_of_an_article_in_review(agent, second_agent):
    article = services.create_article(text=text(), submit=True, by=agent)
    image = upload(article, agent)
    services.remove_image(image, by=second_agent)
    assert not ArticleImage.objects.filter(pk=image.pk).exists()


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.RETIRED])
def test_an_agent_may_not_remove_a_screenshot_of_an_article_readers_have(
    agent, manager, article, status, django_capture_on_commit_callbacks
):
    if status == Status.RETIRED:
        services.retire_article(article, by=manager)
    image = upload(article, agent)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PermissionDenied, match="only a knowledge editor"),
    ):
        services.remove_image(image, by=agent)
    assert callbacks == [] and kept(image)


@pytest.mark.parametrize("persona", ["manager", "admin_user", "knowledge_editor"])
def test_knowledge_editors_remove_screenshots_of_published_articles(
    request, agent, article, persona, django_capture_on_commit_callbacks
):
    image = upload(article, agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_image(image, by=request.getfixturevalue(persona))
    assert not ArticleImage.objects.filter(pk=image.pk).exists() and not stored(image)


def test_end_users_and_inactive_staff_may_not_remove(agent, second_agent, requester, draft):
    image = upload(draft, agent)
    second_agent.is_active = False
    for person in (requester, second_agent):
        with pytest.raises(PermissionDenied):
            services.remove_image(image, by=person)
    assert kept(image)


# The file goes after the commit, and only then.


def test_the_file_stays_until_the_commit_and_goes_with_it(
    agent, draft, django_capture_on_commit_callbacks
):
    image = upload(draft, agent)
    with django_capture_on_commit_callbacks() as callbacks:
        services.remove_image(image, by=agent)
    assert not ArticleImage.objects.filter(pk=image.pk).exists()
    assert stored(image), "the file was deleted before the commit"
    assert len(callbacks) == 1
    callbacks[0]()
    assert not stored(image)


def test_a_rolled_back_removal_keeps_the_row_and_the_file(
    agent, draft, django_capture_on_commit_callbacks
):
    image = upload(draft, agent)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.remove_image(image, by=agent)
        raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []
    assert kept(image)


def test_a_storage_failure_after_the_commit_does_not_undo_or_fail_the_removal(
    agent, draft, django_capture_on_commit_callbacks
):
    image = upload(draft, agent)
    with (
        mock.patch.object(FileSystemStorage, "delete", side_effect=OSError("disk busy")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.remove_image(image, by=agent)
    assert not ArticleImage.objects.filter(pk=image.pk).exists()


def test_removing_twice_says_it_is_already_gone(agent, draft):
    image = upload(draft, agent)
    services.remove_image(image, by=agent)
    with pytest.raises(ValidationError, match="already removed"):
        services.remove_image(image, by=agent)


# A screenshot a text still shows stays, and the person is told where.


def test_a_screenshot_the_draft_shows_stays_and_the_step_is_named(
    agent, draft, django_capture_on_commit_callbacks
):
    image = upload(draft, agent)
    edit(
        draft,
        f"1. Open AnyConnect.\n2. Sign in.\n3. Connect ![Connect](image:{image.pk})",
        by=agent,
    )
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        services.remove_image(image, by=agent)
    assert refused.value.messages == [
        "Step 3 still shows this screenshot: take it out of the text and save, "
        "then remove the screenshot."
    ]
    assert callbacks == [] and kept(image)
    edit(draft, "1. Open AnyConnect.\n2. Sign in.\n3. Connect.", by=agent)
    services.remove_image(image, by=agent)
    assert not ArticleImage.objects.filter(pk=image.pk).exists()


def test_a_screenshot_the_published_text_shows_stays(agent, manager, article):
    image = upload(article, agent)
    edit(article, f"![Sign-in](image:{image.pk})\n\n1. Open.\n2. Sign in.", by=manager)
    with pytest.raises(ValidationError, match="The published text still shows this screenshot"):
        services.remove_image(image, by=manager)
    assert kept(image)


def test_a_screenshot_an_edit_waiting_for_review_shows_stays(agent, manager, article):
    """Approving the edit later would publish a broken picture."""
    image = upload(article, agent)
    edit(article, f"1. Open.\n2. Sign in.\n\n[See the box](image:{image.pk})", by=agent)
    assert services.pending_revision(article) is not None
    with pytest.raises(ValidationError, match="The edit waiting for review still links to this"):
        services.remove_image(image, by=manager)
    assert kept(image)


def test_every_place_is_named_across_the_readers_text_and_the_edit_in_review(
    agent, manager, article
):
    image = upload(article, agent)
    shown = f"![Box](image:{image.pk})"
    edit(article, f"1. Open. {shown}\n2. Sign in.\n3. Done. {shown}", by=manager)
    edit(article, f"1. Open.\n2. Sign in. {shown}", by=agent)
    with pytest.raises(ValidationError) as refused:
        services.remove_image(image, by=manager)
    assert refused.value.messages[0].startswith(
        "Step 1 and step 3 of the published text and step 2 of the edit waiting for review "
        "still show this screenshot"
    )


def test_a_screenshot_another_article_shows_stays(agent, manager, draft, article):
    image = upload(draft, agent)
    edit(article, f"1. Open.\n2. Look: ![Box](image:{image.pk})", by=manager)
    services.create_article(text=text(title="Mentions only", body=f"`image:{image.pk}`"), by=agent)
    with pytest.raises(ValidationError) as refused:
        services.remove_image(image, by=agent)
    assert refused.value.messages == [
        "The article “Connect to the VPN” also shows this screenshot: take it out there first."
    ]
    assert kept(image)


def test_a_screenshot_only_old_revisions_showed_is_removed(agent, draft):
    image = upload(draft, agent)
    edit(draft, f"1. Open. ![Box](image:{image.pk})", by=agent)
    edit(draft, "1. Open.", by=agent)
    services.remove_image(image, by=agent)
    assert not ArticleImage.objects.filter(pk=image.pk).exists()


# The workspace endpoint.


def remove_url(image: ArticleImage, article: Article | None = None) -> str:
    return reverse("workspace:article-image-remove", args=[(article or image.article).pk, image.pk])


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("requester", Status.PUBLISHED, 404),
        ("second_agent", Status.DRAFT, 302),
        ("second_agent", Status.PUBLISHED, 403),
        ("knowledge_editor", Status.PUBLISHED, 302),
        ("manager", Status.PUBLISHED, 302),
        ("admin_user", Status.PUBLISHED, 302),
    ],
)
def test_each_role_gets_its_answer(
    request,
    client_as,
    agent,
    manager,
    persona,
    status,
    expected,
    django_capture_on_commit_callbacks,
):
    article = (
        published(agent, editor=manager)
        if status == Status.PUBLISHED
        else services.create_article(text=text(), by=agent)
    )
    image = upload(article, agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(request.getfixturevalue(persona)).post(remove_url(image))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == reverse("workspace:article-edit", args=[article.pk])
        assert not ArticleImage.objects.filter(pk=image.pk).exists() and not stored(image)
    else:
        assert kept(image)


def test_without_javascript_the_editor_says_it_is_removed(client_as, agent, draft):
    image = upload(draft, agent)
    response = client_as(agent).post(remove_url(image), follow=True)
    assert "Screenshot “Sign-in” removed." in response.content.decode()


def test_htmx_gets_the_screenshot_list_back_in_place(
    client_as, agent, draft, django_capture_on_commit_callbacks
):
    image, other = upload(draft, agent), upload(draft, agent, caption="Tray icon")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(agent).post(remove_url(image), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<section id="article-images"')
    assert "Screenshot “Sign-in” removed." in html
    assert f"image:{image.pk})" not in html and f"![Tray icon](image:{other.pk})" in html
    assert not stored(image) and kept(other)


def test_a_get_is_405_and_removes_nothing(client_as, manager, agent, draft):
    image = upload(draft, agent)
    assert client_as(manager).get(remove_url(image)).status_code == 405
    assert kept(image)


def test_a_post_without_the_csrf_token_is_refused(agent, draft):
    image = upload(draft, agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(remove_url(image)).status_code == 403
    assert kept(image)


def test_another_articles_screenshot_in_the_address_is_404(client_as, agent, manager, draft):
    theirs = published(agent, editor=manager, text=text(title="Another one"))
    image = upload(theirs, agent)
    assert client_as(manager).post(remove_url(image, article=draft)).status_code == 404
    missing = reverse("workspace:article-image-remove", args=[draft.pk, image.pk + 1000])
    assert client_as(manager).post(missing).status_code == 404
    assert kept(image)


def test_signed_out_visitors_are_sent_to_log_in(client, agent, draft):
    image = upload(draft, agent)
    response = client.post(remove_url(image))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert kept(image)


def test_the_readers_addresses_of_a_removed_screenshot_are_404(
    client_as, agent, manager, requester, article, django_capture_on_commit_callbacks
):
    image = upload(article, agent)
    reader = client_as(requester)
    addresses = [
        reverse("knowledge:image", args=[image.pk]),
        reverse("portal:knowledge-image", args=[article.slug, image.pk]),
    ]
    assert [reader.get(address).status_code for address in addresses] == [200, 200]
    with django_capture_on_commit_callbacks(execute=True):
        client_as(manager).post(remove_url(image))
    assert [reader.get(address).status_code for address in addresses] == [404, 404]
    page = reader.get(reverse("portal:knowledge-article", args=[article.slug])).content.decode()
    assert f"/images/{image.pk}/" not in page


def test_a_screenshot_the_text_shows_is_kept_and_the_editor_is_told(client_as, agent, draft):
    image = upload(draft, agent)
    edit(draft, f"1. Open.\n2. Sign in ![Sign-in](image:{image.pk})", by=agent)
    client = client_as(agent)
    message = "Step 2 still shows this screenshot: take it out of the text and save"
    html = client.post(remove_url(image), headers=HTMX).content.decode()
    assert 'role="alert"' in html and message in html
    assert message in client.post(remove_url(image), follow=True).content.decode()
    assert kept(image)


# The editor's list: the control, its confirm step, and who sees it.


def test_the_editor_offers_removal_with_a_confirm_step(client_as, agent, draft):
    unused, shown = upload(draft, agent, caption="Unused"), upload(draft, agent, caption="Shown")
    edit(draft, f"1. Open.\n2. Sign in ![Shown](image:{shown.pk})", by=agent)
    html = client_as(agent).get(reverse("workspace:article-edit", args=[draft.pk])).content.decode()
    form = f'<form method="post" action="{remove_url(unused)}" hx-post="{remove_url(unused)}"'
    assert form in html and 'hx-target="#article-images"' in html
    assert "Remove “Unused”? Its picture is deleted for good." in html
    assert "not in the text" in html and "in step 2" in html
    # The screenshot the text shows offers the reason instead of the button.
    assert f'action="{remove_url(shown)}"' not in html
    assert "Step 2 still shows this screenshot" in html


def test_an_agent_sees_no_removal_on_a_published_article_and_an_editor_does(
    client_as, agent, second_agent, manager, article
):
    image = upload(article, agent)
    page = reverse("workspace:article-edit", args=[article.pk])
    html = client_as(second_agent).get(page).content.decode()
    assert remove_url(image) not in html
    assert "only a knowledge editor can remove its screenshots" in html
    html = client_as(manager).get(page).content.decode()
    assert f'action="{remove_url(image)}"' in html
    assert "readers no longer see it with the article" in html


def test_a_text_may_show_only_screenshots_that_exist(agent, draft):
    own = upload(draft, agent)
    other = services.create_article(text=text(title="Another article"), by=agent)
    theirs = upload(other, agent)
    removed = upload(other, agent)
    services.remove_image(removed, by=agent)
    for wrong in (removed.pk, theirs.pk + 100):  # removed, or mistyped
        with pytest.raises(ValidationError, match=f"image:{wrong}") as refused:
            services.save_edit(
                draft,
                text=text(body=f"1. Sign in.\n\n   ![Step 1](image:{wrong})"),
                based_on=draft.current_revision_id,
                by=agent,
            )
        assert "does not exist" in str(refused.value)
    with pytest.raises(ValidationError, match=f"image:{removed.pk}"):
        services.create_article(
            text=text(title="Copied", body=f"![Step](image:{removed.pk})"), by=agent
        )
    saved = services.save_edit(
        draft,
        text=text(body=f"1. Sign in.\n\n   ![Step 1](image:{own.pk}) ![Too](image:{theirs.pk})"),
        based_on=draft.current_revision_id,
        by=agent,
    )
    assert f"image:{own.pk}" in saved.body and f"image:{theirs.pk}" in saved.body


def test_restoring_a_revision_that_showed_a_removed_screenshot_is_refused(
    client_as, agent, manager, draft
):
    image = upload(draft, agent)
    shown = services.save_edit(
        draft,
        text=text(body=f"1. Sign in.\n\n   ![Step 1](image:{image.pk})"),
        based_on=draft.current_revision_id,
        by=agent,
    )
    later = services.save_edit(draft, text=text(body="1. Sign in."), based_on=shown.pk, by=agent)
    services.remove_image(image, by=agent)
    client = client_as(manager)
    response = client.post(
        reverse("workspace:article-restore", args=[draft.pk, shown.pk]),
        {"based_on": later.pk},
        follow=True,
    )
    page = response.content.decode()
    assert f"Revision {shown.pk} shows image:{image.pk}, a screenshot removed since" in page
    draft.refresh_from_db()
    assert draft.current_revision_id == later.pk and f"image:{image.pk}" not in draft.body
