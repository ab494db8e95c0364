"""Where the focus goes when a step of a journey closes a dialog.

Before a step, :func:`watch` notes the dialogs that are open (``<dialog open>``,
``role=dialog`` or ``role=alertdialog``, visible). After it,
:func:`focus_after_close` looks again: when one of them has closed and the
focus is on the page itself (``<body>``) or on an element nobody can see, a
keyboard user has lost their place, and that is a ``focus-lost`` finding
(WCAG 2.4.3) about the dialog. A dialog that hands the focus back to the
control that opened it, or to any visible element, gives none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from uxlab.audit import states
from uxlab.audit.keyboard import keyboard_finding

if TYPE_CHECKING:
    from playwright.sync_api import JSHandle, Page

    from uxlab.audit.findings import Finding

__all__ = ["focus_after_close", "watch"]

_OPEN: Final = """() => [...document.querySelectorAll(
  "dialog[open], [role=dialog], [role=alertdialog]")].filter(
  (d) => d.checkVisibility({ visibilityProperty: true }))"""

_AFTER: Final = """(dialogs) => {
  const cssPath = (el) => {
    const parts = [];
    const top = document.documentElement;
    for (let n = el; n && n.nodeType === 1 && n !== top; n = n.parentElement) {
      if (n.id && document.querySelectorAll(`#${CSS.escape(n.id)}`).length === 1) {
        parts.unshift(`#${CSS.escape(n.id)}`);
        break;
      }
      let part = n.localName;
      const same = n.parentElement
        ? [...n.parentElement.children].filter((c) => c.localName === n.localName)
        : [];
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(n) + 1})`;
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const describe = (el) => {
    const html = el.outerHTML.replace(/\\s+/g, " ");
    return {
      selector: cssPath(el),
      snippet: html.length > 240 ? html.slice(0, 239) + "…" : html,
    };
  };
  const closed = dialogs.filter(
    (d) => !d.isConnected || !d.checkVisibility({ visibilityProperty: true }));
  if (!closed.length) return null;
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) {
    el = el.shadowRoot.activeElement;
  }
  const onPage = !el || el === document.body || el === document.documentElement;
  let hidden = false;
  if (!onPage) {
    const r = el.getBoundingClientRect();
    hidden = !el.checkVisibility({ visibilityProperty: true, opacityProperty: true })
      || r.width <= 1 || r.height <= 1;
  }
  if (!onPage && !hidden) return null;
  const dialog = closed[0];
  const name = dialog.getAttribute("aria-label")
    || (dialog.getAttribute("aria-labelledby") || "").split(/\\s+/)
      .map((id) => document.getElementById(id)).filter(Boolean)
      .map((n) => n.textContent.trim()).join(" ");
  return {
    dialog: describe(dialog),
    name: name || "",
    focus: onPage ? null : describe(el).selector,
  };
}"""


def watch(page: Page) -> JSHandle | None:
    """The dialogs open now, to compare with after a step; None when none is."""
    from playwright.sync_api import Error

    try:
        handle = page.evaluate_handle(_OPEN)
        if handle.evaluate("(dialogs) => dialogs.length") == 0:
            handle.dispose()
            return None
    except Error:
        return None
    return handle


def focus_after_close(
    page: Page, dialogs: JSHandle, *, url: str, viewport: str
) -> Finding | None:
    """A ``focus-lost`` finding when a watched dialog closed and took the focus."""
    from playwright.sync_api import Error

    try:
        states.settle(page)
        seen: dict[str, Any] | None = dialogs.evaluate(_AFTER)
    except Error:
        return None  # the step left the page: its dialogs are gone with it
    finally:
        try:
            dialogs.dispose()
        except Error:
            pass
    if seen is None:
        return None
    dialog = seen["dialog"]
    called = f' "{seen["name"]}"' if seen["name"] else ""
    where = (
        "on the page itself (<body>)"
        if seen["focus"] is None
        else f"on {seen['focus']}, which nobody can see"
    )
    finding, _ = keyboard_finding(
        "focus-lost",
        dialog,
        f"When the dialog{called} closed, the focus was left {where}; "
        "keyboard users must find their place again from the top of the page.",
        "When a dialog closes, move the focus back to the control that opened "
        "it (or to the next sensible element).",
        url=url,
        viewport=viewport,
    )
    return finding
