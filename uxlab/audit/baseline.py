"""Baselines: known issues accepted for now, each with a reason.

A baseline is a YAML file a team keeps next to its audit script::

    # Issues accepted for now. Give each a reason; an entry past its
    # expires date counts again.
    issues:
      - id: fc96d550e7dd
        rule: image-alt
        selector: img.logo
        message: Element does not have an alt attribute
        reason: New logo ships with the March release
        expires: 2027-03-31

``id`` is the issue's fingerprint (see :func:`uxlab.audit.issues.fingerprint`);
``rule``, ``selector`` and ``message`` are there for people reading the file.
Accepted issues are reported apart and count toward no threshold; an entry
whose ``expires`` date has passed accepts nothing and the report says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from uxlab.audit.findings import AuditReport, evaluate_thresholds
from uxlab.errors import AuditError

__all__ = [
    "BaselineEntry",
    "apply_baseline",
    "load_baseline",
    "updated_baseline",
    "write_baseline",
]

_HEADER = (
    "# uxlab audit baseline: issues accepted for now. Give each a reason; an\n"
    "# entry past its expires date (YYYY-MM-DD) counts again.\n"
)


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted issue."""

    id: str
    reason: str
    rule: str = ""
    selector: str | None = None
    message: str = ""
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def describe(self) -> str:
        until = f" (until {self.expires.isoformat()})" if self.expires else ""
        return f"{self.reason}{until}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "rule": self.rule,
            "selector": self.selector,
            "message": self.message,
            "reason": self.reason,
        }
        if self.expires is not None:
            data["expires"] = self.expires
        return data


def load_baseline(path: str | Path) -> list[BaselineEntry]:
    """Read a baseline file; a mistake raises AuditError naming the entry."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuditError(f"baseline {path}: cannot read it ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise AuditError(f"baseline {path}: not valid YAML ({exc})") from exc
    if data is None:
        return []
    if not isinstance(data, Mapping) or not isinstance(data.get("issues"), list):
        raise AuditError(f"baseline {path}: expected a mapping with an 'issues' list")
    entries = []
    for number, item in enumerate(data["issues"], start=1):
        where = f"baseline {path}: entry {number}"
        if not isinstance(item, Mapping):
            raise AuditError(f"{where} is not a mapping")
        ident, reason = item.get("id"), item.get("reason")
        if not isinstance(ident, str) or not ident.strip():
            raise AuditError(f"{where} has no id")
        if not isinstance(reason, str) or not reason.strip():
            raise AuditError(f"{where} ({ident}) has no reason")
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError as exc:
                raise AuditError(
                    f"{where} ({ident}): expires {expires!r} is not YYYY-MM-DD"
                ) from exc
        if expires is not None and not isinstance(expires, dt.date):
            raise AuditError(f"{where} ({ident}): expires must be a YYYY-MM-DD date")
        entries.append(
            BaselineEntry(
                id=ident.strip(),
                reason=reason.strip(),
                rule=str(item.get("rule") or ""),
                selector=item.get("selector"),
                message=str(item.get("message") or ""),
                expires=expires,
            )
        )
    return entries


def apply_baseline(
    report: AuditReport,
    entries: Iterable[BaselineEntry],
    *,
    today: dt.date | None = None,
) -> AuditReport:
    """The report with accepted issues set apart and thresholds judged again."""
    today = today or dt.date.today()
    found = {issue.id for issue in report.issues}
    accepted: dict[str, str] = {}
    expired: dict[str, str] = {}
    for entry in entries:
        if entry.id not in found:
            continue
        if entry.expired(today):
            expired[entry.id] = (
                f"accepted until {entry.expires}: {entry.reason}; counts again"
            )
        else:
            accepted[entry.id] = entry.describe()
    thresholds = evaluate_thresholds(
        report.script,
        report.tasks,
        report.pages,
        report.findings,
        fail_on=report.fail_on,
        accepted=accepted,
    )
    return dataclasses.replace(
        report, thresholds=thresholds, accepted=accepted, expired=expired
    )


def updated_baseline(
    report: AuditReport,
    previous: Sequence[BaselineEntry] = (),
    *,
    today: dt.date | None = None,
) -> list[BaselineEntry]:
    """Entries accepting every issue of ``report``.

    Entries already there keep their reason and expiry (an expired one stays
    expired); new ones say when they were accepted; entries for issues the
    run no longer found are dropped, as those are fixed.
    """
    today = today or dt.date.today()
    known = {entry.id: entry for entry in previous}
    entries = []
    for issue in report.issues:
        entry = known.get(issue.id) or BaselineEntry(
            id=issue.id,
            reason=f"accepted with --update-baseline on {today.isoformat()}",
        )
        entries.append(
            dataclasses.replace(
                entry,
                rule=issue.rule,
                selector=issue.selector,
                message=issue.message,
            )
        )
    return entries


def write_baseline(entries: Iterable[BaselineEntry], path: str | Path) -> Path:
    """Write a baseline file (whole, replacing what was there)."""
    path = Path(path)
    body = yaml.safe_dump(
        {"issues": [entry.to_dict() for entry in entries]},
        sort_keys=False,
        allow_unicode=True,
        width=88,
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_HEADER + body, encoding="utf-8")
    tmp.replace(path)
    return path
