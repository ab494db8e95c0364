"""Study data out: tidy CSV files and a JSON bundle.

Tidy means one row per observation: ``attempts.csv`` has one row per
participant × task attempt, ``responses.csv`` one row per questionnaire item
answer, ``participants.csv`` one row per participant with Qualtrics-style
``finished`` and ``progress`` columns. Text that a spreadsheet would run as a
formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
is prefixed with an apostrophe, as OWASP recommends; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from uxlab.kinds import kind_of
from uxlab.models import Invite, Participant, Response, Study, Task, TaskAttempt

__all__ = [
    "ATTEMPT_COLUMNS",
    "PARTICIPANT_COLUMNS",
    "RESPONSE_COLUMNS",
    "export_csv_files",
    "export_json",
    "export_file_name",
    "export_zip",
    "neutralise",
    "write_export",
]

PARTICIPANT_COLUMNS = (
    "participant", "variant", "link", "consent_version", "consented_at", "started_at",
    "finished_at", "finished", "progress", "step", "excluded", "exclusion_reason",
)  # fmt: skip
ATTEMPT_COLUMNS = (
    "participant", "variant", "task", "task_title", "task_position", "order_position",
    "started_at", "ended_at", "duration_s", "client_duration_s", "outcome", "judged_by",
    "self_reported", "outcome_reason", "client_clock_disagreed",
)  # fmt: skip
RESPONSE_COLUMNS = (
    "participant", "variant", "questionnaire", "scope", "task", "item", "value", "text",
    "answered_at", "partial",
)  # fmt: skip

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Make a text cell safe to open in a spreadsheet; other values pass through.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-3)
    -3
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


#: The participant's own word in attempts.csv.
_SAID: dict[bool | None, str] = {True: "done", False: "gave_up"}


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _number(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 3)


class _StudyData:
    """Everything about one study, read in four queries."""

    def __init__(self, session: Session, study: Study) -> None:
        self.study = study
        self.tasks = list(
            session.exec(
                select(Task)
                .where(Task.study_id == study.id)
                .order_by(col(Task.position))
            ).all()
        )
        self.task_by_id = {t.id: t for t in self.tasks}
        self.participants = list(
            session.exec(
                select(Participant)
                .where(Participant.study_id == study.id)
                .where(col(Participant.preview).is_(False))
                .order_by(col(Participant.id))
            ).all()
        )
        ids = [p.id for p in self.participants]
        self.attempts = list(
            session.exec(
                select(TaskAttempt)
                .where(col(TaskAttempt.participant_id).in_(ids))
                .order_by(col(TaskAttempt.participant_id), col(TaskAttempt.position))
            ).all()
        )
        self.responses = list(
            session.exec(
                select(Response)
                .where(col(Response.participant_id).in_(ids))
                .order_by(col(Response.participant_id), col(Response.id))
            ).all()
        )
        invite_ids = {p.invite_id for p in self.participants if p.invite_id}
        self.invite_kind = {
            i.id: str(i.kind)
            for i in session.exec(
                select(Invite).where(col(Invite.id).in_(invite_ids))
            ).all()
        }
        self.by_id = {p.id: p for p in self.participants}

    def participant_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "participant": p.code,
                "variant": p.variant or "",
                "link": self.invite_kind.get(p.invite_id, "") if p.invite_id else "",
                "consent_version": p.consent_version if p.consent_version else "",
                "consented_at": _iso(p.consented_at),
                "started_at": _iso(p.started_at),
                "finished_at": _iso(p.finished_at),
                "finished": "true" if p.finished_at else "false",
                "progress": p.progress,
                "step": p.step,
                "excluded": "true" if p.excluded else "false",
                "exclusion_reason": p.exclusion_reason,
            }
            for p in self.participants
        ]

    def attempt_rows(self) -> list[dict[str, Any]]:
        rows = []
        for a in self.attempts:
            p = self.by_id[a.participant_id]
            task = self.task_by_id[a.task_id]
            client = (
                a.client_duration_ms / 1000
                if a.client_duration_ms is not None
                else None
            )
            rows.append(
                {
                    "participant": p.code,
                    "variant": p.variant or "",
                    "task": task.key,
                    "task_title": task.title,
                    "task_position": task.position,
                    "order_position": a.position,
                    "started_at": _iso(a.started_at),
                    "ended_at": _iso(a.ended_at),
                    "duration_s": _number(a.duration_s),
                    "client_duration_s": _number(client),
                    "client_clock_disagreed": (
                        "true" if a.client_clock_disagreed else "false"
                    ),
                    "outcome": str(a.outcome) if a.outcome else "",
                    "judged_by": str(a.judged_by) if a.judged_by else "",
                    "self_reported": _SAID.get(a.self_reported, ""),
                    "outcome_reason": a.outcome_reason,
                }
            )
        return rows

    def response_rows(self) -> list[dict[str, Any]]:
        rows = []
        for r in self.responses:
            p = self.by_id[r.participant_id]
            task = self.task_by_id.get(r.task_id) if r.task_id else None
            rows.append(
                {
                    "participant": p.code,
                    "variant": p.variant or "",
                    "questionnaire": r.questionnaire,
                    "scope": "task" if r.scope.startswith("task:") else r.scope,
                    "task": task.key if task else "",
                    "item": r.item,
                    "value": _number(r.value_num),
                    "text": r.value_text if r.value_text is not None else "",
                    "answered_at": _iso(r.answered_at),
                    "partial": "true" if r.partial else "false",
                }
            )
        return rows


def _csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    return out.getvalue()


#: A tidy table: its columns, and its rows as mappings of column to value.
Table = tuple[Sequence[str], list[dict[str, Any]]]


def usability_tables(session: Session, study: Study) -> dict[str, Table]:
    """The tidy tables of a task-based study, by CSV file name."""
    data = _StudyData(session, study)
    return {
        "participants.csv": (PARTICIPANT_COLUMNS, data.participant_rows()),
        "attempts.csv": (ATTEMPT_COLUMNS, data.attempt_rows()),
        "responses.csv": (RESPONSE_COLUMNS, data.response_rows()),
    }


def export_csv_files(session: Session, study: Study) -> dict[str, str]:
    """The study's tidy CSV files, by file name; the study's kind makes the rows."""
    tables: dict[str, Table] = kind_of(study).export_rows(session, study)
    return {name: _csv_text(columns, rows) for name, (columns, rows) in tables.items()}


def export_json(session: Session, study: Study) -> dict[str, Any]:
    """The whole study as one JSON-ready bundle (text exactly as stored)."""
    from uxlab import __version__

    data = _StudyData(session, study)
    bundle: dict[str, Any] = {
        "format": "uxlab-study-export",
        "format_version": 1,
        "uxlab_version": __version__,
        "study": {
            "slug": study.slug,
            "title": study.title,
            "mode": str(study.mode),
            "status": str(study.status),
            "description": study.description,
            "consent": study.consent,
            "consent_version": study.consent_version,
            "declined_count": study.declined_count,
            "withdrawn_count": study.withdrawn_count or 0,
            "settings": study.settings,
            "source": study.source_yaml,
            "created_at": _iso(study.created_at),
            "published_at": _iso(study.published_at),
            "closed_at": _iso(study.closed_at),
        },
        "tasks": [
            {
                "task": t.key,
                "position": t.position,
                "title": t.title,
                "prompt": t.prompt,
                "start_url": t.start_url,
                "success_kind": t.success_kind,
                "success_value": t.success_value,
                "time_limit_s": t.time_limit_s,
                "settings": t.settings,
            }
            for t in data.tasks
        ],
        "participants": data.participant_rows(),
        "attempts": data.attempt_rows(),
        "responses": data.response_rows(),
        # A kind's own data (a preference test's choices, a five-second
        # test's answers and codes), under the kind's name.
        **_kind_part(session, study),
    }
    # The tables a study's kind adds (a tree test's answers), by their name.
    for name, (_, rows) in kind_of(study).export_rows(session, study).items():
        bundle.setdefault(name.removesuffix(".csv"), rows)
    return bundle


def _kind_part(session: Session, study: Study) -> dict[str, Any]:
    kind = kind_of(study)
    part = getattr(kind, "json_export", None)
    return {kind.name: part(session, study)} if part is not None else {}


def export_file_name(study: Study, name: str) -> str:
    """The name of one export file, the same in the zip and from the CLI.

    >>> export_file_name(Study(slug="checkout", title="Checkout"), "attempts.csv")
    'checkout-attempts.csv'
    """
    return f"{study.slug}-{name}"


def export_zip(session: Session, study: Study) -> bytes:
    """The CSV files in one zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in export_csv_files(session, study).items():
            # A byte-order mark lets Excel read the UTF-8 text correctly.
            archive.writestr(export_file_name(study, name), "\ufeff" + text)
    return buffer.getvalue()


def write_export(
    session: Session, study: Study, folder: Path, *, fmt: str = "csv"
) -> list[Path]:
    """Write the export into ``folder``; returns the files written."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"fmt ({fmt!r}) must be one of ['csv', 'json']")
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path = folder / f"{study.slug}.json"
        path.write_text(
            json.dumps(export_json(session, study), indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        return [path]
    written = []
    for name, text in export_csv_files(session, study).items():
        path = folder / export_file_name(study, name)
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written
