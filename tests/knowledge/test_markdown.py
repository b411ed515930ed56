"""Article text is Markdown, and whatever HTML comes out of it is held to an allowlist.

Each hostile input is rendered and the output parsed: no element outside the allowlist,
no event handler or style attribute, and no link or image that leads anywhere but the web,
mail, or the site itself.
"""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.markdown import ATTRIBUTES, TAGS, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '<iframe src="https://evil.example"></iframe>',
    "<IFRAME SRC=javascript:alert(1)>",
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="x" ONERROR="alert(1)">',
    "<img src=x OnError = 'alert(1)'>",
    "<img\nsrc=x\nonerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;&#97;vascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](<javascript:alert(1)>)",
    "[click](java\tscript:alert(1))",
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '[click][1]\n\n[1]: javascript:alert(1) "title"',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "![x](  JavaScript:alert(1))",
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">x</p>',
    '<P STYLE="position:fixed;top:0">cover</P>',
    "<style>body{display:none}</style>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<object data="x.swf"></object>',
    "<embed src=x.swf>",
    '<form action="https://evil.example"><input name=password></form>',
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<img src="image:1" onerror="alert(1)">',
    '![x](image:1){: onerror="alert(1)" style="display:none"}',
    '[x](https://ok.example){: onclick="alert(1)" style="color:red"}',
    "Text\n{: onmouseover=alert(1) }",
    '<a href="https://ok.example" target="_blank" onclick="alert(1)">ok</a>',
    "<button formaction=javascript:alert(1)>x</button>",
    "<video><source onerror=alert(1)></video>",
    "<table><tr><td background=javascript:alert(1)>x</td></tr></table>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
]
SAFE_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def safe_link(value: str) -> bool:
    """A link to the web, to mail, or relative to this site (no scheme at all).

    Browsers trim control characters and spaces around a URL and drop tabs and newlines
    within it before reading its scheme, so "java\tscript:" is "javascript:" to them.
    """
    link = re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(33))))).lower()
    scheme = SCHEME.match(link)
    return scheme is None or scheme[1] in SAFE_SCHEMES


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def problems(html: str) -> list[str]:
    parser = Collector()
    parser.feed(html)
    found = []
    for tag, attrs in parser.elements:
        if tag not in TAGS:
            found.append(f"element {tag}")
        for name, value in attrs:
            allowed = (
                ATTRIBUTES.get(tag, set()) | {"rel"} if tag == "a" else ATTRIBUTES.get(tag, set())
            )
            if name not in allowed:
                found.append(f"{tag}[{name}]")
            if name in ("href", "src") and value is not None and not safe_link(value):
                found.append(f"{tag}[{name}={value}]")
    return found


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_and_html_come_out_harmless(source: str) -> None:
    html = str(render_markdown(source))
    assert problems(html) == [], html
    lowered = html.lower()
    for marker in (
        "<script",
        "<iframe",
        "<style",
        "<svg",
        "<object",
        "<embed",
        "<form",
        "<base",
        "<meta",
        "<link",
    ):
        assert marker not in lowered, html


@given(
    st.text(
        alphabet=st.sampled_from(list("<>\"'=/ :;&#()[]!{}\n\tabcijpstvxSCRIPTonerrlad")),
        max_size=120,
    )
)
@settings(max_examples=300, deadline=None)
def test_no_generated_input_gets_past_the_allowlist(source: str) -> None:
    assert problems(str(render_markdown(source))) == []


def test_ordinary_markdown_keeps_its_structure() -> None:
    html = str(
        render_markdown(
            "## Before you start\n\n1. Open **Settings**.\n2. Type `vpn.example.com`.\n\n"
            "| Field | Value |\n|---|---|\n| Server | vpn |\n\n"
            "[Help](https://help.example/vpn) or [mail us](mailto:it@example.com)."
        )
    )
    for part in (
        "<h2>Before you start</h2>",
        "<ol>",
        "<strong>Settings</strong>",
        "<code>vpn.example.com</code>",
        "<table>",
        '<a href="https://help.example/vpn" rel="noopener noreferrer nofollow">Help</a>',
        'href="mailto:it@example.com"',
    ):
        assert part in html


@pytest.mark.parametrize("reference", ["image:12", "IMAGE:12", " image:12 ", "Image:12"])
def test_a_screenshot_reference_becomes_the_served_image(reference: str) -> None:
    html = str(render_markdown(f"![Step 2: the sign-in box](<{reference}>)"))
    parser = Collector()
    parser.feed(html)
    assert parser.elements[1] == (
        "img",
        [("alt", "Step 2: the sign-in box"), ("loading", "lazy"), ("src", "/knowledge/images/12/")],
    )


def test_a_link_to_a_screenshot_opens_the_served_image() -> None:
    assert 'href="/knowledge/images/7/"' in str(render_markdown("[full size](image:7)"))


@pytest.mark.parametrize("reference", ["image:abc", "image:12/../../admin", "image:-1", "image:"])
def test_anything_else_with_the_image_scheme_is_dropped_by_the_sanitiser(reference: str) -> None:
    html = str(render_markdown(f"![x]({reference})"))
    assert "src" not in html and "image:" not in html


def test_raw_html_cannot_use_the_image_scheme() -> None:
    assert "src" not in str(render_markdown('<img src="image:12" alt="x">'))
