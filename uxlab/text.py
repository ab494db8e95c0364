"""Researcher-written Markdown rendered safely (markdown-it-py, then nh3).

markdown-it-py's ``js-default`` preset leaves raw HTML out and refuses
``javascript:``/``data:`` links; nh3 (Ammonia) then removes anything left that is
not on its allow-list, so hostile study text cannot run script in a participant's
browser. The Markdown source is stored untouched for editing.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["duration_words", "render_inline_markdown", "render_markdown"]

_md = MarkdownIt("js-default")
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr",
    "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML that is safe to put in a page."""
    if not text:
        return Markup("")
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above


#: Tags of one line of text, such as a question put in a ``<label>``.
_INLINE_TAGS = {"a", "abbr", "b", "code", "em", "i", "s", "strong", "sub", "sup"}


def render_inline_markdown(text: str | None) -> Markup:
    """One line of Markdown (emphasis, code, links) as safe inline HTML, no block."""
    if not text:
        return Markup("")
    clean = nh3.clean(
        _md.renderInline(text),
        tags=_INLINE_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above


def duration_words(seconds: float) -> str:
    """A time limit as a participant reads it: whole minutes, else seconds.

    >>> duration_words(300), duration_words(60), duration_words(90), duration_words(45)
    ('5 minutes', '1 minute', '1 minute 30 seconds', '45 seconds')
    """
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)
