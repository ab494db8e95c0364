"""A project's status as a small SVG badge, in the shields.io layout."""

from __future__ import annotations

from html import escape

__all__ = ["badge_svg"]

_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "error": "#6d4c41",
}
_GREY = "#616161"
#: Roughly the advance of an 11 px Verdana character, for the box widths.
_CHAR_PX = 7


def badge_svg(label: str, status: str) -> str:
    """An SVG saying ``label | status``; green passed, red failed, grey otherwise.

    >>> "passed" in badge_svg("uxlab audit", "passed")
    True
    """
    left = len(label) * _CHAR_PX + 10
    right = len(status) * _CHAR_PX + 10
    width = left + right
    colour = _COLOURS.get(status, _GREY)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'role="img" aria-label="{escape(label)}: {escape(status)}">'
        f"<title>{escape(label)}: {escape(status)}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2}" y="14">{escape(status)}</text>'
        "</g></svg>"
    )
