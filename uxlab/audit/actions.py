"""The steps of an audit script, done in a page: goto, click, fill, expect...

:func:`do_step` does one step the way a person would, waiting for the element
it names to be visible; :func:`locate` finds that element from the step's
target (role and name, label, text, test id, CSS ...).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from uxlab.audit.findings import Screenshot
from uxlab.audit.script import (
    AuditScript,
    ExpectText,
    ExpectUrl,
    FillArgs,
    PressArgs,
    SelectArgs,
    Step,
    Target,
    WaitFor,
    resolve_url,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

__all__ = ["ACTION_KINDS", "StepFailed", "do_step", "locate", "screenshot"]

#: Step kinds that are something the user does (budgets count these).
ACTION_KINDS: frozenset[str] = frozenset(
    {"goto", "click", "fill", "select", "check", "press", "hover"}
)
_SCREENSHOT_QUALITY = 70


class StepFailed(Exception):
    """A step that could not be done; the message says why."""


def do_step(
    page: Page, step: Step, script: AuditScript, *, name: str
) -> Screenshot | None:
    """Do one step; a screenshot when the step takes one.

    Raises :class:`StepFailed` (or Playwright's errors) when it cannot be done.
    """
    from playwright.sync_api import expect

    timeout = step.timeout_ms or script.step_timeout_ms
    kind, args = step.kind, step.args
    if kind == "goto":
        url = resolve_url(args, script.base_url)
        response = page.goto(url, wait_until="load")
        if response is not None and response.status >= 400:
            raise StepFailed(f"{url} answered HTTP {response.status}")
    elif kind == "click":
        locate(page, args).click(timeout=timeout)
    elif isinstance(args, FillArgs):
        locate(page, args).fill(args.value, timeout=timeout)
    elif isinstance(args, SelectArgs):
        locate(page, args).select_option(args.value, timeout=timeout)
    elif kind == "check":
        locate(page, args).check(timeout=timeout)
    elif isinstance(args, PressArgs):
        if args.has_locator:
            locate(page, args).press(args.key, timeout=timeout)
        elif page.locator("*:focus").count():
            # A locator press (unlike keyboard.press) waits for the
            # navigation it starts, e.g. Enter in a search field.
            page.locator("*:focus").first.press(args.key, timeout=timeout)
        else:
            page.keyboard.press(args.key)
    elif kind == "hover":
        locate(page, args).hover(timeout=timeout)
    elif isinstance(args, WaitFor):
        visible_only = args.state == "visible"
        try:
            locate(page, args, visible_only=visible_only).wait_for(
                state=args.state, timeout=timeout
            )
        except Exception as exc:
            raise StepFailed(
                f"{args.describe()} not {args.state} within {timeout} ms"
            ) from exc
    elif isinstance(args, ExpectUrl):
        _expect_url(page, args, timeout, script.base_url)
    elif kind == "expect_visible":
        try:
            locate(page, args).wait_for(state="visible", timeout=timeout)
        except Exception as exc:
            raise StepFailed(
                f"{args.describe()} not visible within {timeout} ms"
            ) from exc
    elif isinstance(args, ExpectText):
        where = locate(page, args) if args.has_locator else page.locator("body")
        try:
            expect(where).to_contain_text(args.contains, timeout=timeout)
        except AssertionError as exc:
            raise StepFailed(
                f"text {args.contains!r} not found in {args.describe()} "
                f"within {timeout} ms"
            ) from exc
    elif kind == "screenshot":
        return screenshot(page, f"{name}-{args}" if args else name)
    if kind in ACTION_KINDS and kind != "goto":
        page.wait_for_load_state("load")
    return None


def locate(page: Page, target: Target, *, visible_only: bool = True) -> Locator:
    """The first (or ``nth``) element the target names, visible ones only by default."""
    exact = target.exact
    if target.role is not None:
        locator = page.get_by_role(target.role, name=target.name, exact=exact)  # type: ignore[arg-type]
    elif target.text is not None:
        locator = page.get_by_text(target.text, exact=exact)
    elif target.label is not None:
        locator = page.get_by_label(target.label, exact=exact)
    elif target.placeholder is not None:
        locator = page.get_by_placeholder(target.placeholder, exact=exact)
    elif target.testid is not None:
        locator = page.get_by_test_id(target.testid)
    elif target.alt is not None:
        locator = page.get_by_alt_text(target.alt, exact=exact)
    elif target.title is not None:
        locator = page.get_by_title(target.title, exact=exact)
    else:
        locator = page.locator(target.css or target.selector or "body")
    if visible_only:
        locator = locator.filter(visible=True)
    return locator.nth(target.nth) if target.nth is not None else locator.first


def _expect_url(
    page: Page, args: ExpectUrl, timeout: int, base_url: str | None
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if args.regex is not None:
        pattern = re.compile(args.regex)

        def matches(url: str) -> bool:
            return pattern.search(url) is not None

        wanted = f"/{args.regex}/"
    else:
        expected = urlsplit(resolve_url(args.url or "", base_url))
        wanted = args.url or ""

        def matches(url: str) -> bool:
            actual = urlsplit(url)
            same = (
                actual.scheme == expected.scheme
                and actual.netloc == expected.netloc
                and actual.path.rstrip("/") == expected.path.rstrip("/")
            )
            return same and (not expected.query or actual.query == expected.query)

    try:
        page.wait_for_url(matches, timeout=timeout, wait_until="commit")
    except PlaywrightTimeout as exc:
        raise StepFailed(f"URL is {page.url}, expected {wanted}") from exc


def screenshot(page: Page, name: str) -> Screenshot | None:
    """A JPEG of the viewport, or None when Chromium cannot take one."""
    from playwright.sync_api import Error

    try:
        data = page.screenshot(type="jpeg", quality=_SCREENSHOT_QUALITY, timeout=10_000)
    except Error:
        return None
    return Screenshot(name=name, data=data)
