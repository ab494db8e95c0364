from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from uxlab.text import render_inline_markdown, render_markdown


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<iframe src='https://evil.example'></iframe>",
        "<div style='background:url(javascript:alert(1))'>x</div>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
@pytest.mark.reliability
@pytest.mark.parametrize("render", [render_markdown, render_inline_markdown])
def test_hostile_markdown_is_neutralised(hostile: str, render: Any) -> None:
    parser = _Elements()
    parser.feed(str(render(hostile)))
    tags = {tag for tag, _ in parser.elements}
    assert not tags & {"script", "iframe", "img", "div", "style"}
    for _tag, attrs in parser.elements:
        for name, value in attrs:
            assert not name.startswith("on")
            assert name != "style"
            assert not (value or "").lower().startswith(("javascript:", "data:"))


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def test_ordinary_markdown_renders() -> None:
    html = str(
        render_markdown("# Title\n\nSome **bold** and a [link](https://example.com).")
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert (
        'href="https://example.com"' in html
        and 'rel="noopener noreferrer nofollow"' in html
    )


def test_empty_text() -> None:
    assert render_markdown(None) == ""
    assert render_markdown("") == ""


def test_inline_markdown_is_one_line_without_blocks() -> None:
    html = str(render_inline_markdown("Why **this** score? [More](https://x.example)"))
    assert html.startswith("Why <strong>this</strong> score?")
    assert "<p>" not in html and 'href="https://x.example"' in html
    assert str(render_inline_markdown("# Title\n- item")).count("<") == 0
