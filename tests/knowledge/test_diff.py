"""The side-by-side diff of two revisions: lines, words within them, everything escaped."""

from types import SimpleNamespace

from knowledge.diff import compare, diff_lines, diff_words


def revision(title="VPN", summary="", body="", video_url=""):
    return SimpleNamespace(title=title, summary=summary, body=body, video_url=video_url)


def test_a_changed_word_is_marked_as_a_word_not_a_whole_line():
    old, new = diff_words("Open the app and sign in.", "Open the new app and sign in.")
    assert str(old) == "Open the app and sign in."
    assert str(new) == "Open the<ins> new</ins> app and sign in."
    old, new = diff_words("Click Save.", "Click Apply.")
    assert (str(old), str(new)) == ("Click <del>Save</del>.", "Click <ins>Apply</ins>.")


def test_lines_added_removed_and_changed_sit_side_by_side():
    rows = diff_lines("1. Open\n2. Sign in\n3. Done", "1. Open\n2. Log in\n3. Done\n4. Restart")
    assert [(r.kind, r.old_number, r.new_number) for r in rows] == [
        ("equal", 1, 1),
        ("changed", 2, 2),
        ("equal", 3, 3),
        ("added", None, 4),
    ]
    assert str(rows[1].old) == "2. <del>Sign</del> in"
    assert str(rows[1].new) == "2. <ins>Log</ins> in"
    removed = diff_lines("a\nb", "a")
    assert [(r.kind, str(r.old)) for r in removed] == [("equal", "a"), ("removed", "b")]


def test_revision_text_is_escaped_on_both_sides():
    rows = diff_lines("<b>x</b>", '<script>alert("x")</script>')
    html = str(rows[0].old) + str(rows[0].new)
    assert "<script" not in html and "<b>" not in html
    assert html.count("&lt;") == 4 and "&#34;" in html


def test_long_unchanged_runs_are_folded_around_the_changes():
    lines = [f"line {n}" for n in range(1, 21)]
    changed = [*lines[:10], "changed", *lines[11:]]
    rows = diff_lines("\n".join(lines), "\n".join(changed), context=2)
    kinds = [r.kind for r in rows]
    assert kinds == ["fold", "equal", "equal", "changed", "equal", "equal", "fold"]
    assert (rows[0].folded, rows[-1].folded) == (8, 7)
    assert (rows[1].old_number, rows[3].old_number, rows[4].new_number) == (9, 11, 12)


def test_every_field_is_compared_and_unchanged_ones_say_so():
    parts = compare(
        revision(body="1. Open"),
        revision(title="VPN from home", body="1. Open", video_url="https://video.example/vpn"),
    )
    assert [(p.name, p.changed) for p in parts] == [
        ("title", True),
        ("summary", False),
        ("body", False),
        ("video_url", True),
    ]
