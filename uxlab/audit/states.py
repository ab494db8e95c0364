"""Page states: when a page has settled, and what makes two states the same.

A journey changes a page without changing its URL: a click opens a dialog, a
submit shows a form's errors, a hash route swaps the view. Other steps change
the URL: a link, a form sent to another page, a single-page app's
``history.pushState`` route. The runner audits each state a step reaches once
per viewport, named by that step (:func:`state_label`); :func:`fingerprint`
says which states are the same (the URL plus a hash of what is visible:
elements, their roles and states, and their text), :func:`settle` waits,
within a bound, for the page to stop changing before it is looked at, and
:func:`document_started` tells a newly loaded document from a view drawn in
the same one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "QUIET_MS",
    "SETTLE_LIMIT_MS",
    "document_started",
    "fingerprint",
    "settle",
    "state_label",
]

#: A page is settled once its DOM has not changed for this long ...
QUIET_MS: Final = 60
#: ... or when this much time has passed, whichever comes first.
SETTLE_LIMIT_MS: Final = 1500

_SETTLE: Final = """([quiet, limit]) => new Promise((resolve) => {
  let timer = null;
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    observer.disconnect();
    clearTimeout(timer);
    resolve();
  };
  const observer = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(done, quiet);
  });
  observer.observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  timer = setTimeout(done, quiet);
  setTimeout(done, limit);
})"""

# What a person perceives: visible elements in order, with their tag, role,
# expanded/checked/selected/invalid state, open dialogs, and their own text.
_FINGERPRINT: Final = """() => {
  let hash = 0x811c9dc5;
  const add = (text) => {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  };
  const ATTRS = ["role", "aria-expanded", "aria-checked", "aria-selected",
    "aria-invalid", "aria-hidden", "aria-modal", "open", "alt", "aria-label"];
  let count = 0;
  for (const el of document.body ? document.body.querySelectorAll("*") : []) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    count++;
    add("<" + el.localName);
    for (const name of ATTRS) {
      const value = el.getAttribute(name);
      if (value !== null) add(` ${name}=${value}`);
    }
    for (const node of el.childNodes) {
      if (node.nodeType === 3) {
        const text = node.textContent.trim();
        if (text) add(text.slice(0, 80));
      }
    }
  }
  return hash.toString(16).padStart(8, "0") + "-" + count;
}"""


def settle(
    page: Page, *, quiet_ms: int = QUIET_MS, limit_ms: int = SETTLE_LIMIT_MS
) -> None:
    """Wait until the DOM has been quiet for ``quiet_ms`` (at most ``limit_ms``)."""
    page.evaluate(_SETTLE, [quiet_ms, limit_ms])


def fingerprint(page: Page) -> str:
    """A short hash of what is visible on the page now."""
    value: str = page.evaluate(_FINGERPRINT)
    return value


def document_started(page: Page) -> float:
    """When the page's document started (``performance.timeOrigin``, ms).

    A new value means a new document was loaded (a link, a submitted form);
    the same one, that the page changed in place (a dialog, a pushState route).
    """
    value = page.evaluate("() => performance.timeOrigin")
    return float(value)


def state_label(
    task: str, step_number: int, description: str, name: str | None = None
) -> str:
    """How reports name a state a step reached, on its page or on a new URL.

    A page a task opens with ``goto`` is named by its URL alone.

    >>> state_label("Sign up", 2, 'click role=button "Sign up"')
    'after step 2 of "Sign up": click role=button "Sign up"'
    >>> state_label("Sign up", 3, "audit", "Sign-up dialog")
    'Sign-up dialog (step 3 of "Sign up")'
    """
    if name:
        return f'{name} (step {step_number} of "{task}")'
    return f'after step {step_number} of "{task}": {description}'
