"""Keyboard and focus checks, done with real key presses.

:func:`walk` presses Tab from the top of the page until the focus comes back
to where it started, gets stuck, or a bound is reached, and records every
element that got the focus. :func:`keyboard_findings` turns that walk into
findings, each naming its WCAG 2.2 success criterion:

* ``keyboard-unreachable`` (2.1.1): a visible control Tab never reaches;
* ``keyboard-trap`` (2.1.2): Tab and Shift+Tab cannot leave a group of
  elements, outside an open modal dialog; ``focus-loop`` (2.4.3) when only
  Shift+Tab gets out;
* ``focus-lost`` (2.4.3): the focus falls back to the page mid-walk;
* ``focus-hidden`` (2.4.7): the focus lands on an element nobody can see;
* ``focus-not-visible`` (2.4.7): focusing an element changes nothing in its
  computed outline, shadow, border, colours, ``::before``/``::after`` boxes or
  its parent's (``:focus-within``) look;
* ``tab-order`` (2.4.3): Tab jumps back against the reading order;
  ``tabindex-positive`` (2.4.3): ``tabindex`` above 0;
* ``skip-link-missing`` (2.4.1): a navigation block comes before the content
  and no skip link that leads past it does.

The walk follows the focus into same-origin frames (their elements are named
``frame selector, element selector``, as axe-core names them); a frame from
another origin cannot be looked into and is listed under Needs review
(``frame-not-walked``).

The page is left as it was found: focus and scroll position are put back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from uxlab.audit.findings import REVIEW_CHECK, Finding, Screenshot, Severity

if TYPE_CHECKING:
    from playwright.sync_api import JSHandle, Page

__all__ = [
    "MAX_PRESSES",
    "MAX_SHOTS",
    "REFERENCES",
    "Walk",
    "keyboard_finding",
    "keyboard_findings",
    "walk",
    "walk_findings",
]

_SCRIPT: Final = (Path(__file__).resolve().parent / "keyboard.js").read_text(
    encoding="utf-8"
)
#: Tab presses after which a walk stops, whatever it has seen.
MAX_PRESSES: Final = 200
#: Outlined screenshots taken per page state, worst findings first.
MAX_SHOTS: Final = 8
#: How far (CSS px) Tab may step back against the reading order unreported.
ORDER_TOLERANCE_PX: Final = 16
#: Links in a navigation block before it needs a way past it.
NAV_LINKS_FOR_SKIP: Final = 3
#: Presses with nothing focusable before a walk gives up.
_EMPTY_PRESSES: Final = 3
#: Most Tab presses between two reads of the focus log.
_BATCH: Final = 8

_HELP = "https://www.w3.org/WAI/WCAG22/Understanding/"
#: rule -> (severity, WCAG success criterion, its Understanding page, axe-style tags).
REFERENCES: Final[Mapping[str, tuple[Severity, str, str]]] = {
    "keyboard-unreachable": (Severity.serious, "2.1.1", "keyboard"),
    "keyboard-trap": (Severity.critical, "2.1.2", "no-keyboard-trap"),
    "focus-loop": (Severity.serious, "2.4.3", "focus-order"),
    "focus-lost": (Severity.serious, "2.4.3", "focus-order"),
    "focus-hidden": (Severity.serious, "2.4.7", "focus-visible"),
    "focus-not-visible": (Severity.serious, "2.4.7", "focus-visible"),
    "tab-order": (Severity.moderate, "2.4.3", "focus-order"),
    "tabindex-positive": (Severity.moderate, "2.4.3", "focus-order"),
    "skip-link-missing": (Severity.moderate, "2.4.1", "bypass-blocks"),
}
_LEVEL_AA = {"2.4.7"}


@dataclass(slots=True)
class Walk:
    """What one Tab walk saw: the focus order and the page measured after it."""

    #: Element ids in the order Tab focused them; -1 where nothing (``<body>``) was.
    order: list[int] = field(default_factory=list)
    #: Per element id: selector, snippet, document rect, hidden reason, looks...
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: True when the focus came back to the first element (a full cycle).
    wrapped: bool = False
    presses: int = 0
    #: Ids Tab keeps cycling through that are not the whole page, if any.
    loop: list[int] = field(default_factory=list)
    #: Whether Shift+Tab got out of ``loop``.
    loop_escapes: bool = False
    #: Whether ``loop`` is inside an open modal dialog (a trap by design).
    loop_in_modal: bool = False
    #: Whether a batch of presses came back with fewer positions than presses.
    short: bool = False
    #: What ``finish()`` in keyboard.js measured once the walk was over.
    page: dict[str, Any] = field(default_factory=dict)


def walk(
    page: Page, *, max_presses: int = MAX_PRESSES, one_by_one: bool = False
) -> Walk:
    """Press Tab from the top of the page and record where the focus goes.

    Presses go in batches, read back together. A loop seen that way, or a
    cycle after a batch with presses left unlogged, is confirmed by a second
    walk that reads the focus after every press, so that a position logged
    late on a busy machine never reads as a loop nor drops a control.
    """
    handle: JSHandle = page.evaluate_handle(_SCRIPT)
    result = Walk()
    try:
        handle.evaluate("k => k.start()")
        positions: dict[int, int] = {}
        empty = 0
        suspect = False
        presses = _tab_positions(page, handle, result, max_presses, one_by_one)
        for got in presses:
            ident = int(got["id"])
            if got["record"] is not None:
                result.records[ident] = got["record"]
            if ident < 0:
                empty += 1
                if not positions and empty >= _EMPTY_PRESSES:
                    break
                if not result.order or result.order[-1] != -1:
                    result.order.append(-1)
                continue
            if result.order and result.order[-1] == ident:
                if result.records[ident]["frame"]:
                    continue  # Tab moves on inside a frame we do not walk
            first = next((i for i in result.order if i >= 0), None)
            if ident == first:
                if result.short and not one_by_one:
                    # A press in some batch went unlogged and was read late,
                    # so the one it reached may be missing from the cycle.
                    suspect = True
                    break
                result.wrapped = True
                _from_document_start(result)
                break
            if ident in positions:
                if not one_by_one:
                    suspect = True  # confirmed below, one press at a time
                    break
                start = positions[ident]
                result.loop = [i for i in result.order[start:] if i >= 0]
                result.loop_in_modal = all(
                    result.records[i]["modal"] for i in result.loop
                )
                if not result.loop_in_modal:
                    result.loop_escapes = _escapes(page, handle, result)
                break
            positions[ident] = len(result.order)
            result.order.append(ident)
        result.page = handle.evaluate("k => k.finish()")
        for ident, record in result.page.get("late", {}).items():
            result.records[int(ident)] = record
    finally:
        handle.dispose()
    if suspect:
        return walk(page, max_presses=max_presses, one_by_one=True)
    return result


def _tab_positions(
    page: Page, handle: JSHandle, result: Walk, max_presses: int, one_by_one: bool
) -> Iterator[dict[str, Any]]:
    """Press Tab in small batches; where the focus went after each press.

    A press whose position was not logged (the focus is inside a frame from
    another origin, whose document gets the key) counts as the page's focused
    element, the frame; on a page with such a frame, keys are pressed one at a
    time, so that every press is read in its place. ``one_by_one`` reads the
    focus itself after every press, whatever was logged.
    """
    batch = 1
    last: int | None = None
    opaque = bool(handle.evaluate("k => k.opaque()"))
    most = 1 if one_by_one or opaque else _BATCH
    while result.presses < max_presses:
        count = min(batch, max_presses - result.presses)
        for _ in range(count):
            page.keyboard.press("Tab")
        result.presses += count
        logged: list[dict[str, Any]] = handle.evaluate("k => k.drain()")
        if one_by_one:
            # The read after the press is where the focus stands; the key-up
            # read before it, where it differs, came first.
            now = handle.evaluate("k => k.here()")
            seen = [e for e in logged if int(e["id"]) != int(now["id"])][-1:]
            for entry in logged:  # described once, when first logged
                if entry["record"] is not None:
                    result.records[int(entry["id"])] = entry["record"]
            via = [v for e in logged for v in e.get("via", [])] + now.get("via", [])
            logged = (
                [{**seen[0], "via": via}, {**now, "via": []}]
                if seen
                else [{**now, "via": via}]
            )
        elif len(logged) < count:
            # Some key-ups were not logged (the page swallowed them, or they
            # came late): the focus now stands in for them.
            result.short = result.short or not opaque
            logged += [handle.evaluate("k => k.here()")] * (count - len(logged))
        for entry in logged:
            for passed in entry.get("via", []):
                if int(passed["id"]) != last:  # focus that came back unread
                    last = int(passed["id"])
                    yield passed
            last = int(entry["id"])
            yield entry
        batch = min(batch * 2, most)


def _from_document_start(result: Walk) -> None:
    """Turn a full cycle to start where a Tab from the top of the page would.

    The walk starts from an anchor at the top of ``<body>``, and Chromium goes
    from there to the ``tabindex="0"`` elements before the ones with a
    positive tabindex; the last time the focus passes the page itself marks
    the real start of the cycle.
    """
    order = result.order
    if -1 in order:
        k = len(order) - 1 - order[::-1].index(-1)
        result.order = order[k + 1 :] + order[:k]


def _escapes(page: Page, handle: JSHandle, result: Walk) -> bool:
    """Whether Shift+Tab takes the focus out of ``result.loop``."""
    inside = set(result.loop)
    for _ in range(len(inside) + 2):
        page.keyboard.press("Shift+Tab")
        got = handle.evaluate("k => k.here()")
        ident = int(got["id"])
        if got["record"] is not None:
            result.records[ident] = got["record"]
        if ident not in inside:
            return True
    return False


# ------------------------------------------------------------------ findings


def keyboard_findings(
    page: Page,
    *,
    url: str,
    viewport: str,
    shot_prefix: str | None = None,
    max_presses: int = MAX_PRESSES,
) -> list[Finding]:
    """Walk the page with Tab and report what keyboard users would meet.

    With ``shot_prefix``, the worst :data:`MAX_SHOTS` findings get a screenshot
    of their element outlined (named ``{shot_prefix}-k{n}``).
    """
    result = walk(page, max_presses=max_presses)
    found = walk_findings(result, url=url, viewport=viewport)
    if shot_prefix is None:
        return [finding for finding, _ in found]
    out: list[Finding] = []
    ranked = sorted(range(len(found)), key=lambda i: found[i][0].severity.rank)
    shoot = set(ranked[:MAX_SHOTS])
    for index, (finding, rect) in enumerate(found):
        if index in shoot and rect is not None:
            shot = outlined_screenshot(page, rect, f"{shot_prefix}-k{index}")
            if shot is not None:
                finding = _with_screenshot(finding, shot)
        out.append(finding)
    return out


def _with_screenshot(finding: Finding, shot: Screenshot) -> Finding:
    from dataclasses import replace

    return replace(finding, screenshot=shot)


def outlined_screenshot(
    page: Page, rect: Sequence[float], name: str, *, margin: int = 48
) -> Screenshot | None:
    """A JPEG of the area around ``rect`` (document px) with the element outlined."""
    from playwright.sync_api import Error

    x, y, width, height = (float(v) for v in rect)
    if width <= 1 or height <= 1:
        return None
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.scrollHeight]"
    )
    left, top = max(0.0, x - margin), max(0.0, y - margin)
    right = min(float(size[0]), x + width + margin)
    bottom = min(float(size[1]), y + height + margin)
    if right - left < 2 or bottom - top < 2:
        return None
    page.evaluate(
        """([x, y, w, h]) => {
          const box = document.createElement("div");
          box.dataset.uxlabOutline = "";
          box.style.cssText = `position:absolute;left:${x - 3}px;top:${y - 3}px;` +
            `width:${w + 6}px;height:${h + 6}px;border:3px solid #d6336c;` +
            "box-sizing:border-box;pointer-events:none;z-index:2147483647";
          document.body.append(box);
        }""",
        [x, y, width, height],
    )
    try:
        data = page.screenshot(
            type="jpeg",
            quality=70,
            full_page=True,
            clip={"x": left, "y": top, "width": right - left, "height": bottom - top},
            timeout=10_000,
        )
    except Error:
        return None
    finally:
        page.evaluate(
            "() => document.querySelectorAll('[data-uxlab-outline]')"
            ".forEach((el) => el.remove())"
        )
    return Screenshot(name=name, data=data)


def keyboard_finding(
    rule: str,
    element: Mapping[str, Any] | None,
    message: str,
    hint: str,
    *,
    url: str,
    viewport: str,
) -> tuple[Finding, list[float] | None]:
    """A keyboard finding with its WCAG reference, and its element's document rect."""
    severity, criterion, slug = REFERENCES[rule]
    level = "wcag2aa" if criterion in _LEVEL_AA else "wcag2a"
    tags = ("keyboard", level, "wcag" + criterion.replace(".", ""))
    finding = Finding(
        rule=rule,
        check="keyboard",
        severity=severity,
        url=url,
        viewport=viewport,
        selector=None if element is None else str(element["selector"]),
        message=message,
        hint=hint,
        help_url=_HELP + slug,
        tags=tags,
        snippet=None if element is None else str(element["snippet"]),
    )
    box = None if element is None else element.get("rect")
    rect = None if box is None else [float(v) for v in box]
    return finding, rect


def walk_findings(
    result: Walk, *, url: str, viewport: str
) -> list[tuple[Finding, list[float] | None]]:
    """The findings of one walk, each with its element's document rect."""
    where = {"url": url, "viewport": viewport}
    records = result.records
    page = result.page
    out: list[tuple[Finding, list[float] | None]] = []

    def name(ident: int) -> str:
        return str(records[ident]["selector"])

    if result.loop and not result.loop_in_modal:
        head = records[result.loop[0]]
        members = ", ".join(name(i) for i in result.loop[:6])
        if result.loop_escapes:
            out.append(
                keyboard_finding(
                    "focus-loop",
                    head,
                    f"Tab keeps cycling through {len(result.loop)} element(s) "
                    f"({members}); only Shift+Tab gets out.",
                    "Let Tab move on past the last element of the group.",
                    **where,
                )
            )
        else:
            out.append(
                keyboard_finding(
                    "keyboard-trap",
                    head,
                    f"The focus cannot leave {len(result.loop)} element(s) "
                    f"({members}) with Tab or Shift+Tab.",
                    "Do not catch Tab outside a modal dialog; let the focus move on.",
                    **where,
                )
            )

    if result.wrapped and not result.loop:
        for element in page.get("unreachable", []):
            out.append(
                keyboard_finding(
                    "keyboard-unreachable",
                    element,
                    "A visible control that Tab never reaches.",
                    "Use a native control (button, a href, input) or add "
                    'tabindex="0" and key handlers.',
                    **where,
                )
            )

    order = result.order
    for position, ident in enumerate(order):
        later = [i for i in order[position + 1 :] if i >= 0]
        if ident == -1 and position > 0 and later:
            previous = next((i for i in reversed(order[:position]) if i >= 0), None)
            if previous is None:
                continue
            out.append(
                keyboard_finding(
                    "focus-lost",
                    records[previous],
                    f"After {name(previous)} the focus fell back to the page, "
                    f"then went on to {name(later[0])}.",
                    "Keep the focused element in the page, or move the focus to "
                    "a sensible element before hiding or removing it.",
                    **where,
                )
            )

    unfocused = page.get("unfocused", [])
    for ident in dict.fromkeys(i for i in order if i >= 0):
        record = records[ident]
        if record["frame"]:
            continue
        if record["hidden"] is not None:
            out.append(
                keyboard_finding(
                    "focus-hidden",
                    record,
                    f"Tab moves the focus to an element that {record['hidden']}.",
                    "Show the element when it has the focus, or take it out of "
                    'the tab order (tabindex="-1", inert, display: none).',
                    **where,
                )
            )
        elif ident < len(unfocused) and unfocused[ident] == record["focused_look"]:
            out.append(
                keyboard_finding(
                    "focus-not-visible",
                    record,
                    "Focusing this element changes nothing in how it looks.",
                    "Give :focus-visible an outline or another clear change; never "
                    "outline: none on its own.",
                    **where,
                )
            )

    for element in page.get("positive", []):
        out.append(
            keyboard_finding(
                "tabindex-positive",
                element,
                f'tabindex="{element["tabindex"]}" moves this element ahead of '
                "the page's own order.",
                'Use tabindex="0" (or none) and order the markup as it reads.',
                **where,
            )
        )
    out += [
        keyboard_finding(
            "tab-order",
            records[b],
            f"Tab goes from {name(a)} back to {name(b)}, "
            f"{'to its left' if same_row else 'above it'}, against the reading order.",
            "Order the markup as the page reads, rather than rearranging it with "
            "CSS (order, row-reverse, absolute positions).",
            **where,
        )
        for a, b, same_row in backward_steps(result)
    ]
    out += _skip_link(result, **where)
    out += [
        (_frame_not_walked(frame, **where), None) for frame in page.get("frames", [])
    ]
    return out


def _frame_not_walked(frame: Mapping[str, Any], *, url: str, viewport: str) -> Finding:
    """A Needs-review finding for a frame from another origin."""
    origin = str(frame["origin"]) or "another origin"
    return Finding(
        rule="frame-not-walked",
        check=REVIEW_CHECK,
        severity=Severity.minor,
        url=url,
        viewport=viewport,
        selector=str(frame["selector"]),
        message=f"The keyboard walk cannot go inside this frame from {origin}.",
        hint="Check by hand that Tab reaches every control in the frame and "
        "can leave it.",
        help_url=_HELP + "keyboard",
        tags=("keyboard",),
        snippet=str(frame["snippet"]),
    )


def backward_steps(result: Walk) -> list[tuple[int, int, bool]]:
    """Consecutive Tab steps that go back against the reading order.

    Reading order is left to right (right to left on ``dir=rtl`` pages), top
    to bottom. A step is backwards when it goes to an element on the same row
    that lies before the current one, or to an element higher up that is not a
    new column to the right. Steps involving fixed or sticky elements, hidden
    ones, frames or ``tabindex`` above 0 (reported on their own) are skipped,
    and so are steps between elements that overlap.
    """
    rtl = bool(result.page.get("rtl"))
    steps: list[tuple[int, int, bool]] = []
    seq = [i for i in result.order if i >= 0]
    tol = ORDER_TOLERANCE_PX

    def usable(i: int) -> bool:
        r = result.records[i]
        positive = r["tabindex"] is not None and r["tabindex"] > 0
        return not (r["fixed"] or r["hidden"] or r["frame"] or positive)

    for a, b in zip(seq, seq[1:], strict=False):
        if not (usable(a) and usable(b)):
            continue
        ax, ay, aw, ah = result.records[a]["rect"]
        bx, by, bw, bh = result.records[b]["rect"]
        if rtl:
            ax, bx = -(ax + aw), -(bx + bw)
        overlap = min(ay + ah, by + bh) - max(ay, by)
        if overlap > 0 and min(ax + aw, bx + bw) > max(ax, bx):
            continue  # one lies over the other (a skip link shown on focus)
        if overlap >= 0.5 * min(ah, bh):
            if bx + bw / 2 < ax + aw / 2 - tol:
                steps.append((a, b, True))
        elif by + bh / 2 < ay + ah / 2 - tol and bx < ax + aw - tol:
            steps.append((a, b, False))
    return steps


def _skip_link(
    result: Walk, *, url: str, viewport: str
) -> list[tuple[Finding, list[float] | None]]:
    seq = [i for i in result.order if i >= 0]
    if not seq:
        return []
    for nav in result.page.get("navs", []):
        ids = [i for i in seq if i in set(nav["ids"])]
        if len(ids) < NAV_LINKS_FOR_SKIP:
            continue
        first_nav = seq.index(ids[0])
        targets = result.page.get("targets", {})
        working = [
            i
            for i in seq[:first_nav]
            if (t := targets.get(str(i))) is not None
            and t["exists"]
            and t["after_navigation"]
            and result.records[i]["hidden"] is None
        ]
        if working:
            continue
        broken = [
            str(t["href"])
            for i in seq[:first_nav]
            if (t := targets.get(str(i))) is not None
        ]
        why = (
            f" The in-page link{'s' if len(broken) > 1 else ''} before it "
            f"({', '.join(broken)}) do{'' if len(broken) > 1 else 'es'} "
            "not lead past it."
            if broken
            else ""
        )
        return [
            keyboard_finding(
                "skip-link-missing",
                nav,
                f"Keyboard users must Tab through {len(ids)} navigation links "
                f"before the content; there is no working skip link.{why}",
                "Make the first focusable element a link to the main content "
                '(<a href="#main">Skip to content</a>), visible when focused.',
                url=url,
                viewport=viewport,
            )
        ]
    return []
