"""Replay an audit script in Chromium and audit every page it reaches.

One browser per worker (one in all by default), one context per viewport, one
page per context reused from task to task (cookies are cleared in between, so
each task starts as a new visitor). Each page is audited once per viewport,
however many tasks pass through it. No database access: the caller stores or
reports the :class:`~uxlab.audit.findings.AuditReport` it gets back.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from uxlab.audit import actions, checks, dialogs, states
from uxlab.audit.actions import ACTION_KINDS
from uxlab.audit.findings import (
    FAIL_ON_LEVELS,
    AuditReport,
    Finding,
    PageAudit,
    Screenshot,
    StepResult,
    TaskRun,
    evaluate_thresholds,
)
from uxlab.audit.script import (
    AuditScript,
    Target,
    Viewport,
    resolve_url,
)
from uxlab.errors import AuditError, AuditScriptError, SiteUnreachableError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, JSHandle, Page

__all__ = ["ACTION_KINDS", "Progress", "run_audit"]

#: Called with ("start", number of task × viewport runs), ("task", TaskRun) and
#: ("page", PageAudit) as the run goes; may be called from worker threads.
Progress = Callable[[str, Any], None]

_NAVIGATION_TIMEOUT_MS = 30_000


def run_audit(
    script: AuditScript,
    *,
    workers: int = 1,
    fail_on: str = "none",
    progress: Progress | None = None,
    browser: Browser | None = None,
) -> AuditReport:
    """Run every task at every viewport, audit the pages and judge thresholds.

    With ``browser`` (a running Chromium, driven from this thread) the run
    opens its pages in fresh contexts of that browser and closes them at the
    end, leaving the browser running; otherwise it launches its own, one per
    worker. Raises :class:`~uxlab.errors.SiteUnreachableError` when the site does not
    answer at all and :class:`~uxlab.errors.AuditError` when Chromium cannot
    start. A task that fails is recorded as failed; the run goes on.
    """
    if workers < 1:
        raise ValueError(f"workers ({workers}) must be at least 1")
    if browser is not None and workers != 1:
        raise ValueError("a run in a given browser has one worker")
    if fail_on not in FAIL_ON_LEVELS:
        raise ValueError(f"fail_on ({fail_on!r}) must be one of {list(FAIL_ON_LEVELS)}")
    relative = script.relative_gotos()
    if relative:
        raise AuditScriptError(
            "relative URLs need a base_url (in the script or --base-url): "
            + "; ".join(relative)
        )
    _check_reachable(script)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    units = [
        (v, t) for v in range(len(script.viewports)) for t in range(len(script.tasks))
    ]
    if progress is not None:
        progress("start", len(units))
    shared = _Shared(script=script, progress=progress, browser=browser)
    chunks = _split(units, min(workers, len(units)))
    if len(chunks) == 1:
        _Worker(shared, chunks[0]).run()
    else:
        threads = [
            threading.Thread(target=_Worker(shared, chunk).run_catching, daemon=True)
            for chunk in chunks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if shared.errors:
            raise shared.errors[0]

    tasks = tuple(sorted(shared.tasks, key=lambda r: (r.task_index, _vp(script, r))))
    pages = tuple(sorted(shared.pages, key=lambda p: p.order))
    findings = tuple(_finalise(script, shared.findings, pages))
    thresholds = evaluate_thresholds(script, tasks, pages, findings, fail_on=fail_on)
    return AuditReport(
        script=script,
        started_at=started.isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - clock, 3),
        axe_version=checks.AXE_VERSION,
        browser_version=shared.browser_version,
        workers=len(chunks),
        tasks=tasks,
        pages=pages,
        findings=findings,
        thresholds=thresholds,
        fail_on=fail_on,
    )


def _vp(script: AuditScript, run: TaskRun) -> int:
    return [v.name for v in script.viewports].index(run.viewport)


def _split(units: list[tuple[int, int]], n: int) -> list[list[tuple[int, int]]]:
    """Contiguous, near-equal chunks, so a worker keeps to few viewports."""
    size, extra = divmod(len(units), n)
    chunks, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        chunks.append(units[start:end])
        start = end
    return chunks


def _check_reachable(script: AuditScript) -> None:
    """Fail fast with exit status 2 when a site the tasks start on does not answer."""
    origins: dict[str, str] = {}
    for task in script.tasks:
        for step in task.steps:
            if step.goto is not None:
                url = resolve_url(step.goto, script.base_url)
                parts = urlsplit(url)
                origins.setdefault(f"{parts.scheme}://{parts.netloc}", url)
                break
    for origin, url in origins.items():
        request = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except urllib.error.HTTPError:
            pass  # it answered, even if with an error page
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SiteUnreachableError(f"{origin} did not answer: {reason}") from exc


def _normalise(url: str) -> str:
    """The URL without its fragment: pages are deduplicated on this."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _finalise(
    script: AuditScript, found: list[Finding], pages: Sequence[PageAudit]
) -> list[Finding]:
    """Deduplicate and sort worst first."""
    vp_order = {v.name: i for i, v in enumerate(script.viewports)}
    page_order = {(p.url, p.viewport): p.order for p in pages}
    unique: dict[tuple[Any, ...], Finding] = {}
    ordered = sorted(
        found,
        key=lambda f: (
            vp_order.get(f.viewport, 99),
            page_order.get((f.url, f.viewport), (99, 99, 99)),
        ),
    )
    for finding in ordered:
        key = (
            finding.rule,
            finding.url,
            finding.viewport,
            finding.state,
            finding.selector,
            finding.message,
        )
        unique.setdefault(key, finding)
    return sorted(
        unique.values(),
        key=lambda f: (
            f.severity.rank,
            f.rule,
            page_order.get((f.url, f.viewport), (99, 99, 99)),
            vp_order.get(f.viewport, 99),
            f.selector or "",
        ),
    )


@dataclass
class _Shared:
    """State the workers share, guarded by ``lock``."""

    script: AuditScript
    progress: Progress | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    audited: set[tuple[str, str]] = field(default_factory=set)
    #: (state key, viewport) -> the task and step number that reached it first.
    states: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    #: (state key, viewport) -> how that first step named it (None: a goto).
    state_names: dict[tuple[str, str], str | None] = field(default_factory=dict)
    link_status: dict[str, int | str] = field(default_factory=dict)
    tasks: list[TaskRun] = field(default_factory=list)
    pages: list[PageAudit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    browser_version: str = ""
    #: A browser the caller keeps running, used instead of launching one.
    browser: Browser | None = None

    def claim(self, url: str, viewport: str) -> bool:
        """True for the first worker to ask about this page at this viewport."""
        with self.lock:
            if (url, viewport) in self.audited:
                return False
            self.audited.add((url, viewport))
            return True

    def claim_state(
        self, key: str, viewport: str, by: tuple[str, int], state: str | None
    ) -> tuple[tuple[str, int] | None, str | None]:
        """``(None, state)`` for the first step to reach this state at this viewport.

        Later ones get the task and step number that reached it first, and
        the name it was given there.
        """
        with self.lock:
            first = self.states.get((key, viewport))
            if first is None:
                self.states[(key, viewport)] = by
                self.state_names[(key, viewport)] = state
            return first, self.state_names[(key, viewport)]

    def notify(self, kind: str, payload: Any) -> None:
        if self.progress is not None:
            self.progress(kind, payload)


@dataclass
class _PageEvents:
    """Console output and failed requests seen by one page, keyed by URL."""

    console: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    requests: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: Every URL the main frame committed to, in order.
    navigated: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.console.clear()
        self.requests.clear()
        self.navigated.clear()


class _Worker:
    """Runs a share of the task × viewport units with its own Playwright."""

    def __init__(self, shared: _Shared, units: list[tuple[int, int]]) -> None:
        self.shared = shared
        self.script = shared.script
        self.units = units
        self.checks = set(self.script.checks)
        self.pages: dict[int, tuple[BrowserContext, Page, _PageEvents]] = {}
        #: The current task's document (``performance.timeOrigin``) last audited.
        self.document: float | None = None
        #: URL -> the name of the first state the current task reached there;
        #: console errors and failed requests at that URL are listed under it.
        self.reached: dict[str, str | None] = {}

    def run_catching(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # re-raised by run_audit in the main thread
            with self.shared.lock:
                self.shared.errors.append(exc)

    def run(self) -> None:
        from playwright.sync_api import Error, sync_playwright

        from uxlab.browser import launch_options

        if self.shared.browser is not None:
            self._run_units(self.shared.browser)
            return
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(**launch_options())
            except Error as exc:
                raise AuditError(
                    f"could not start Chromium: {_first_line(exc)}"
                ) from exc
            try:
                self._run_units(browser)
            finally:
                browser.close()

    def _run_units(self, browser: Browser) -> None:
        with self.shared.lock:
            self.shared.browser_version = browser.version
        try:
            for vp_index, task_index in self.units:
                self._run_task(browser, vp_index, task_index)
        finally:
            for context, _page, _events in self.pages.values():
                context.close()
            self.pages.clear()

    # ------------------------------------------------------------ contexts

    def _page(self, browser: Browser, vp_index: int) -> tuple[Page, _PageEvents]:
        if vp_index in self.pages:
            context, page, events = self.pages[vp_index]
            context.clear_cookies()
            events.clear()
            return page, events
        viewport = self.script.viewports[vp_index]
        context = browser.new_context(
            viewport={"width": viewport.width, "height": viewport.height},
            is_mobile=viewport.mobile,
            has_touch=viewport.touch,
            device_scale_factor=viewport.scale,
        )
        context.add_init_script(checks.PERF_INIT_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(self.script.step_timeout_ms)
        page.set_default_navigation_timeout(_NAVIGATION_TIMEOUT_MS)
        events = _PageEvents()
        self._listen(page, events)
        self.pages[vp_index] = (context, page, events)
        return page, events

    def _listen(self, page: Page, events: _PageEvents) -> None:
        def here() -> str:
            return _normalise(page.url)

        def on_console(message: Any) -> None:
            if message.type == "error" and not message.text.startswith(
                "Failed to load resource"
            ):
                events.console.setdefault(here(), []).append(("error", message.text))

        def on_page_error(error: Any) -> None:
            text = getattr(error, "message", None) or str(error)
            events.console.setdefault(here(), []).append(("exception", text))

        def on_response(response: Any) -> None:
            if response.status >= 400:
                reason = f"HTTP {response.status}"
                events.requests.setdefault(here(), []).append((response.url, reason))

        def on_request_failed(request: Any) -> None:
            reason = request.failure or "failed"
            if "ERR_ABORTED" in reason:
                return  # navigated away before it finished: not the site's fault
            events.requests.setdefault(here(), []).append((request.url, reason))

        def on_navigated(frame: Any) -> None:
            if frame == page.main_frame:
                events.navigated.append(_normalise(frame.url))

        page.on("framenavigated", on_navigated)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)

    # --------------------------------------------------------------- tasks

    def _run_task(self, browser: Browser, vp_index: int, task_index: int) -> None:
        from playwright.sync_api import Error
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        viewport = self.script.viewports[vp_index]
        task = self.script.tasks[task_index]
        page, events = self._page(browser, vp_index)
        steps: list[StepResult] = []
        visited: list[str] = []
        failed_step: int | None = None
        error: str | None = None
        total = 0.0
        watch_focus = "keyboard" in self.checks and not viewport.touch
        self.document = None
        self.reached = {}
        for index, step in enumerate(task.steps):
            dialogs_open = (
                dialogs.watch(page) if watch_focus and step.kind != "goto" else None
            )
            start = time.perf_counter()
            shot: Screenshot | None = None
            step_error: str | None = None
            try:
                shot = actions.do_step(
                    page,
                    step,
                    self.script,
                    name=f"t{task_index}-{viewport.name}-s{index}",
                )
            except actions.StepFailed as exc:
                step_error = str(exc)
            except PlaywrightTimeout as exc:
                args = step.args
                if isinstance(args, Target) and args.has_locator:
                    step_error = (
                        f"no visible element {args.describe()} could be used "
                        f"within {step.timeout_ms or self.script.step_timeout_ms} ms"
                    )
                else:
                    step_error = _first_line(exc)
            except (Error, AssertionError) as exc:
                step_error = _first_line(exc)
            seconds = time.perf_counter() - start
            total += seconds
            url = _normalise(page.url)
            for seen in [*events.navigated, url]:
                if seen not in visited and seen.startswith(("http://", "https://")):
                    visited.append(seen)
            if step_error is not None:
                shot = actions.screenshot(
                    page, f"t{task_index}-{viewport.name}-s{index}-failed"
                )
                failed_step, error = (
                    index,
                    f"step {index + 1} ({step.describe()}): {step_error}",
                )
            steps.append(
                StepResult(
                    index,
                    step.kind,
                    step.describe(),
                    step_error is None,
                    round(seconds, 3),
                    url,
                    step_error,
                    shot,
                )
            )
            # Every state a step reaches is named by it, on the same URL or a
            # new one (a link, a submitted form, a pushState route); the page
            # a goto opens is named by its URL alone.
            label = None
            if step.kind != "goto":
                label = states.state_label(
                    task.name, index + 1, step.describe(), step.audit
                )
            if dialogs_open is not None and label is not None:
                self._focus_after_close(
                    page, dialogs_open, viewport, label, f"t{task_index}-s{index}"
                )
            first = self._audit_current(
                page,
                viewport,
                (task_index, vp_index, index),
                state=label,
                by=(task.name, index + 1),
            )
            if first is not None:
                steps[-1] = dataclasses.replace(steps[-1], same_state_as=first)
            if step_error is not None:
                break
        self._flush_events(events, viewport)
        over: list[str] = []
        if failed_step is None and task.budget is not None:
            count = sum(step.kind in ACTION_KINDS for step in task.steps)
            if task.budget.max_seconds is not None and total > task.budget.max_seconds:
                over.append(f"took {total:.2f} s > {task.budget.max_seconds:g} s")
            if task.budget.max_steps is not None and count > task.budget.max_steps:
                over.append(f"{count} steps > {task.budget.max_steps}")
        run = TaskRun(
            task=task.name,
            task_index=task_index,
            viewport=viewport.name,
            success=failed_step is None,
            steps=tuple(steps),
            seconds=round(total, 3),
            pages=tuple(visited),
            failed_step=failed_step,
            error=error,
            over_budget=tuple(over),
        )
        with self.shared.lock:
            self.shared.tasks.append(run)
        self.shared.notify("task", run)

    def _focus_after_close(
        self,
        page: Page,
        dialogs_open: JSHandle,
        viewport: Viewport,
        state: str,
        name: str,
    ) -> None:
        """Report a dialog the step closed that left the focus nowhere."""
        url = _normalise(page.url)
        lost = dialogs.focus_after_close(
            page, dialogs_open, url=url, viewport=viewport.name
        )
        if lost is None:
            return
        shot = None
        if "screenshots" in self.checks:
            shot = actions.screenshot(page, f"{name}-{viewport.name}-focus")
        lost = dataclasses.replace(lost, state=state, screenshot=shot)
        with self.shared.lock:
            self.shared.findings.append(lost)

    # --------------------------------------------------------------- pages

    def _audit_current(
        self,
        page: Page,
        viewport: Viewport,
        order: tuple[int, int, int],
        *,
        state: str | None = None,
        by: tuple[str, int],
    ) -> tuple[str, int] | None:
        """Audit the page's state unless this viewport has seen the same one.

        States are told apart by URL plus a hash of what is visible, after the
        page has settled (see :mod:`uxlab.audit.states`). A state seen before
        is not audited again: the task and step number (``by``) that reached
        it first are returned, where its findings are listed.

        A newly loaded document has its load timings measured, whatever step
        loaded it; a state drawn in the same document shares its load's.
        """
        from playwright.sync_api import Error

        url = _normalise(page.url)
        if not self.checks or not url.startswith(("http://", "https://")):
            return None
        try:
            page.wait_for_load_state("load", timeout=_NAVIGATION_TIMEOUT_MS)
            states.settle(page)
            key = f"{url} {states.fingerprint(page)}"
            started: float | None = states.document_started(page)
        except Error:
            key, started = url, None
        loaded = state is None if started is None else started != self.document
        if started is not None:
            self.document = started
        first, name = self.shared.claim_state(key, viewport.name, by, state)
        self.reached.setdefault(url, name)
        if first is not None:
            return first
        start = time.perf_counter()
        try:
            findings, title, perf, shot = self._audit(
                page, url, viewport, order, loaded=loaded
            )
        except Error as exc:
            findings, title, perf, shot = (
                [],
                f"(audit failed: {_first_line(exc)})",
                None,
                None,
            )
        audit = PageAudit(
            url=url,
            viewport=viewport.name,
            title=title,
            perf=perf,
            screenshot=shot,
            seconds=round(time.perf_counter() - start, 3),
            order=order,
            state=state,
        )
        if state is not None:
            findings = [dataclasses.replace(f, state=state) for f in findings]
        with self.shared.lock:
            self.shared.pages.append(audit)
            self.shared.findings.extend(findings)
        self.shared.notify("page", audit)
        return None

    def _audit(
        self,
        page: Page,
        url: str,
        viewport: Viewport,
        order: tuple[int, int, int],
        *,
        loaded: bool = True,
    ) -> tuple[list[Finding], str, Any, Screenshot | None]:
        """Findings, title, load timings and screenshot of the page as it is.

        ``loaded``: the document was loaded for this state, so its load
        timings are its own to measure.
        """
        where = {"url": url, "viewport": viewport.name}
        findings: list[Finding] = []
        reported: list[str] = []
        if "accessibility" in self.checks:
            violations, incomplete = checks.run_axe_with_review(page)
            findings += checks.axe_findings(violations, **where)
            findings += checks.review_findings(incomplete, **where)
            reported = [
                selector
                for v in violations
                if v["id"] == "target-size"
                for node in v["nodes"]
                for selector in node.get("target", [])
                if isinstance(selector, str)
            ]
        probe = checks.probe_page(page, skip_selectors=reported)
        # A state reached within a document shares its load's timings:
        # measured once, for the state its load reached.
        perf = (
            checks.perf_metrics(probe)
            if "performance" in self.checks and loaded
            else None
        )
        if perf is not None:
            limits = self.script.thresholds.performance
            findings += checks.perf_findings(
                perf, lcp_ms=limits.lcp_ms, cls=limits.cls, **where
            )
        if "tap_targets" in self.checks and viewport.touch:
            findings += checks.tap_target_findings(probe, **where)
        if "overflow" in self.checks and viewport.narrow:
            findings += checks.overflow_findings(probe, **where)
            findings += checks.viewport_meta_findings(probe, **where)
            from uxlab.audit import reflow

            findings += reflow.reflow_findings(page, **where)
        if "links" in self.checks:
            links = [link for link in probe["links"] if _same_origin(link["href"], url)]
            statuses = self._check_links(page, [link["href"] for link in links])
            findings += checks.link_findings(links, statuses, **where)
        shot = None
        if "screenshots" in self.checks:
            shot = actions.screenshot(page, f"p{order[0]}-{viewport.name}-s{order[2]}")
            from uxlab.audit.highlight import outline_findings

            findings = outline_findings(
                page,
                findings,
                prefix=f"p{order[0]}-{viewport.name}-s{order[2]}",
                claim=lambda issue: self.shared.claim(f"shot {issue}", ""),
            )
        if "keyboard" in self.checks and not viewport.touch:
            from uxlab.audit import keyboard

            prefix = f"p{order[0]}-{viewport.name}-s{order[2]}"
            findings += keyboard.keyboard_findings(
                page,
                url=url,
                viewport=viewport.name,
                shot_prefix=prefix if "screenshots" in self.checks else None,
            )
        return findings, str(probe.get("title") or ""), perf, shot

    def _check_links(self, page: Page, hrefs: Sequence[str]) -> dict[str, int | str]:
        from playwright.sync_api import Error

        statuses: dict[str, int | str] = {}
        for href in dict.fromkeys(_normalise(h) for h in hrefs):
            with self.shared.lock:
                known = self.shared.link_status.get(href)
            if known is None:
                try:
                    response = page.request.head(href, timeout=10_000, max_redirects=5)
                    known = response.status
                    if known in (405, 501):
                        known = page.request.get(href, timeout=10_000).status
                except Error as exc:
                    known = f"no answer ({_first_line(exc)})"
                with self.shared.lock:
                    self.shared.link_status[href] = known
            statuses[href] = known
        return {h: statuses[_normalise(h)] for h in hrefs}

    def _flush_events(self, events: _PageEvents, viewport: Viewport) -> None:
        """Console errors and failed requests, under the first state at their URL."""
        found: list[Finding] = []
        if "console" in self.checks:
            for url, entries in events.console.items():
                found += checks.console_findings(
                    entries, url=url, viewport=viewport.name
                )
        if "links" in self.checks:
            for url, failures in events.requests.items():
                found += checks.request_findings(
                    failures, url=url, viewport=viewport.name
                )
        events.clear()
        found = [
            dataclasses.replace(f, state=self.reached.get(f.url, f.state))
            for f in found
        ]
        with self.shared.lock:
            self.shared.findings.extend(found)


def _same_origin(href: str, url: str) -> bool:
    a, b = urlsplit(href), urlsplit(url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"^(Locator|Page|Frame|Keyboard)\.\w+: ", "", line)
