"""A codebook for the tidy export, and the same export as one XLSX workbook.

The codebook says what every column of ``participants.csv``, ``attempts.csv``
and ``responses.csv`` means, and what every questionnaire item asked on which
scale, so the raw export can be analysed without uxlab.  The workbook holds
the rows of :func:`uxlab.export.export_json` (the same rows as the CSV files,
with numbers as numbers), one sheet per file, plus the tasks and the codebook.
Text cells go through :func:`uxlab.export.neutralise`, as in the CSV files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from typing import Any, Final

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from sqlmodel import Session

from uxlab.analysis import QUALITY_RULES, questionnaire_title
from uxlab.export import (
    ATTEMPT_COLUMNS,
    PARTICIPANT_COLUMNS,
    RESPONSE_COLUMNS,
    export_json,
    neutralise,
)
from uxlab.kinds import kind_of
from uxlab.models import JudgedBy, Outcome, Study
from uxlab.questionnaires import build_questionnaire

__all__ = [
    "CODEBOOK_COLUMNS",
    "COLUMN_MEANINGS",
    "CodebookRow",
    "codebook_csv",
    "codebook_rows",
    "export_xlsx",
    "xlsx_text",
]

CODEBOOK_COLUMNS: Final = ("file", "column", "item", "meaning", "values")

_OUTCOMES = ", ".join(o.value for o in Outcome)
_JUDGES = ", ".join(j.value for j in JudgedBy)

#: file -> column -> (meaning, values)
COLUMN_MEANINGS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "participants.csv": {
        "participant": ("Random participant code (no personal data)", "text"),
        "variant": (
            "Design variant the participant was assigned",
            "variant key or blank",
        ),
        "link": ("Kind of link used to join", "open, single or blank"),
        "consent_version": (
            "Version of the consent text agreed to",
            "integer or blank",
        ),
        "consented_at": ("When consent was given", "ISO 8601 time, UTC"),
        "started_at": ("When the participant started", "ISO 8601 time, UTC"),
        "finished_at": ("When the participant finished", "ISO 8601 time, UTC or blank"),
        "finished": ("Whether the participant reached the end", "true, false"),
        "progress": ("Share of steps completed", "0-100 (%)"),
        "step": ("Last step reached", "consent, task:<i>, seq:<i>, q:<name>, done"),
        "excluded": ("Excluded from results by the researcher", "true, false"),
        "exclusion_reason": ("Why the participant was excluded", "text"),
    },
    "attempts.csv": {
        "participant": ("Participant code", "text"),
        "variant": ("Design variant", "variant key or blank"),
        "task": ("Task key from the study file", "text"),
        "task_title": ("Task title", "text"),
        "task_position": ("Task's position in the study file", "1, 2, ..."),
        "order_position": ("Position in this participant's task order", "1, 2, ..."),
        "started_at": ("When the participant pressed Start", "ISO 8601 time, UTC"),
        "ended_at": ("When the attempt ended", "ISO 8601 time, UTC"),
        "duration_s": ("Server-measured time on task", "seconds"),
        "client_duration_s": (
            "Time on task measured by the browser (from its monotonic clock); "
            "the server's duration_s instead when the two disagree",
            "seconds",
        ),
        "client_clock_disagreed": (
            "The browser's duration was more than 5 s and a quarter of the "
            "task's time away from the server's (its clock changed): "
            "client_duration_s holds the server's",
            "true or false",
        ),
        "outcome": (
            "How the attempt ended; only success counts as completed",
            _OUTCOMES,
        ),
        "judged_by": ("Who judged the outcome", _JUDGES),
        "self_reported": (
            'What the participant said: "I\'m done" or "I give up" (on a task '
            "with an automatic criterion the criterion decides the outcome)",
            "done, gave_up; empty when the attempt ended otherwise",
        ),
        "outcome_reason": ("Note on the outcome", "text"),
    },
    "responses.csv": {
        "participant": ("Participant code", "text"),
        "variant": ("Design variant", "variant key or blank"),
        "questionnaire": ("Questionnaire id from the study file", "see items below"),
        "scope": ("End of study or after a task", "study, task"),
        "task": ("Task key for per-task answers", "text or blank"),
        "item": ("Item id within the questionnaire", "q1, q2, ..."),
        "value": ("Numeric answer", "see the item's scale below"),
        "text": (
            "Free-text answer, exactly as typed. In the CSV files and the "
            "workbook, a text starting with =, +, -, @, a tab or a carriage "
            "return gets an apostrophe in front, so that no spreadsheet runs "
            "it as a formula: remove that first apostrophe to recover the "
            "exact text. The workbook shows each control character as its "
            "Unicode control picture (U+2400 + its code). The JSON export "
            "holds every text exactly, unchanged",
            "text",
        ),
        "answered_at": ("When the answer was given", "ISO 8601 time, UTC"),
        "partial": (
            "The questionnaire was left with items unanswered: a moderator moved "
            "the participant on before they submitted it. Its answers are kept "
            "but not scored (no SUS or UMUX-Lite score)",
            "true, false",
        ),
    },
}

_COLUMNS: Final = {
    "participants.csv": PARTICIPANT_COLUMNS,
    "attempts.csv": ATTEMPT_COLUMNS,
    "responses.csv": RESPONSE_COLUMNS,
}


@dataclass(frozen=True, slots=True)
class CodebookRow:
    file: str
    column: str
    item: str
    meaning: str
    values: str


def _scale_text(low: int, high: int, low_label: str, high_label: str) -> str:
    ends = f" ({low} = {low_label}, {high} = {high_label})" if low_label else ""
    return f"{low}-{high}{ends}"


def codebook_rows(study: Study) -> list[CodebookRow]:
    """Every export column, every questionnaire item and its scale, every task."""
    rows = [
        CodebookRow(name, column, "", *COLUMN_MEANINGS[name][column])
        for name, columns in _COLUMNS.items()
        for column in columns
    ]
    # A study kind's own tables describe their columns themselves.
    entries = getattr(kind_of(study), "codebook_entries", None)
    if entries is not None:
        rows.extend(CodebookRow(*entry) for entry in entries(study))
    product = str(study.settings.get("product", "this product"))
    for scope, key in (("task", "after_each_task"), ("study", "questionnaires")):
        for spec in study.settings.get(key, []):
            q = build_questionnaire(spec, product=product)
            for item in q.items:
                values = (
                    "free text"
                    if q.open_text
                    else _scale_text(
                        q.scale_min, q.scale_max, q.low_label, q.high_label
                    )
                )
                rows.append(
                    CodebookRow(
                        "responses.csv",
                        f"questionnaire={q.id}",
                        item.id,
                        f"{questionnaire_title(q)} ({q.kind}, asked per {scope}): "
                        f"{item.text}",
                        values,
                    )
                )
    for kind, rule in QUALITY_RULES.items():
        rows.append(CodebookRow("results", "data-quality flag", kind, rule, ""))
    return rows


def codebook_csv(study: Study) -> str:
    """The codebook as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CODEBOOK_COLUMNS)
    for row in codebook_rows(study):
        writer.writerow([neutralise(v) for v in astuple(row)])
    return out.getvalue()


#: Characters XML 1.0, and so a workbook, cannot hold (tab, newline and
#: carriage return it can).
_NOT_IN_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(value: Any) -> Any:
    """``value`` as a workbook cell: neutralised, control characters made visible.

    A workbook cannot hold most control characters, so each is written as its
    Unicode control picture (U+2400 + code); the CSV and JSON files keep them.

    >>> xlsx_text("a\x1bb")
    'a␛b'
    """
    value = neutralise(value)
    if isinstance(value, str):
        return _NOT_IN_XML.sub(lambda m: chr(0x2400 + ord(m.group())), value)
    return value


def _sheet(
    wb: Workbook, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(c) for c in columns]
    for row in rows:
        values = [xlsx_text(v) if v is not None else "" for v in row]
        ws.append(values)
        widths = [
            max(w, min(len(str(v)), 60)) for w, v in zip(widths, values, strict=True)
        ]
    ws.freeze_panes = "A2"
    for k, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(k)].width = width + 2


def export_xlsx(session: Session, study: Study) -> bytes:
    """The study's export as an XLSX workbook: data sheets, tasks and codebook."""
    bundle = export_json(session, study)
    wb = Workbook()
    wb.remove(wb.active)
    for name, key in (
        ("participants.csv", "participants"),
        ("attempts.csv", "attempts"),
        ("responses.csv", "responses"),
    ):
        columns = _COLUMNS[name]
        _sheet(wb, key, columns, ([row[c] for c in columns] for row in bundle[key]))
    # Tables a study's kind adds (a preference test's choices) get a sheet each.
    for name, (columns, rows) in kind_of(study).export_rows(session, study).items():
        if name not in _COLUMNS:
            _sheet(
                wb,
                name.removesuffix(".csv")[:31],
                columns,
                ([row.get(c) for c in columns] for row in rows),
            )
    task_columns = ("task", "position", "title", "prompt", "start_url", "success_kind")
    _sheet(
        wb,
        "tasks",
        task_columns,
        ([t[c] for c in task_columns] for t in bundle["tasks"]),
    )
    _sheet(wb, "codebook", CODEBOOK_COLUMNS, (astuple(r) for r in codebook_rows(study)))
    wb.properties.title = study.title[:200]
    wb.properties.creator = "uxlab"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
