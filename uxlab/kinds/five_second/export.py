"""A five-second test's tidy export: one row per participant × question,
the codes of open answers joined, and the codebook entries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from uxlab.models import FiveSecondView, Participant

from . import questions
from .analysis import answers_by_question, codes_of, codings

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study

#: The columns of ``five_second.csv``.
EXPORT_COLUMNS = (
    "participant",
    "variant",
    "image",
    "question",
    "type",
    "answer",
    "rating",
    "codes",
    "shown_at",
    "continued_at",
    "answered_at",
)

#: What each column of ``five_second.csv`` means, and its values.
COLUMN_MEANINGS: dict[str, tuple[str, str]] = {
    "participant": ("Participant code", "text"),
    "variant": ("Design variant", "variant key or blank"),
    "image": ("The image the participant saw, under static/", "path"),
    "question": ("Recall question id from the study file", "see items below"),
    "type": ("Kind of question", "open, choice, rating"),
    "answer": (
        "An open answer exactly as typed, or the option chosen (spreadsheet "
        "formulas neutralised as in responses.csv)",
        "text or blank",
    ),
    "rating": ("A rating question's answer", "1 to the question's scale"),
    "codes": (
        "The researchers' codes of an open answer, in the order they were made",
        "code names joined by ' | ', or blank",
    ),
    "shown_at": ("When the participant asked to see the image", "ISO 8601 time, UTC"),
    "continued_at": (
        "When the participant went on from the image to the questions (the "
        "image is hidden at the display time, by the browser or, without "
        "JavaScript, by a reload; it is never served after that time)",
        "ISO 8601 time, UTC or blank",
    ),
    "answered_at": ("When the answers were sent", "ISO 8601 time, UTC"),
}

#: Joins an answer's code names in one cell.
CODE_SEPARATOR = " | "


def five_second_rows(
    session: Session, study: Study, *, joined: bool = True
) -> list[dict[str, Any]]:
    """One row per participant × question answered, excluded participants
    included (their ``excluded`` flag is in participants.csv); the codes
    joined in one text, or as a list when not ``joined``."""
    from uxlab.export import _iso

    people = list(
        session.exec(
            select(Participant)
            .where(
                Participant.study_id == study.id,
                Participant.preview == False,  # noqa: E712
            )
            .order_by(col(Participant.id))
        ).all()
    )
    by_question = answers_by_question(session, people)
    views = {
        v.participant_id: v
        for v in session.exec(
            select(FiveSecondView).where(
                col(FiveSecondView.participant_id).in_([p.id for p in people])
            )
        )
    }
    labels = {
        c.id or 0: c.label for cs in codes_of(session, study).values() for c in cs
    }
    order = {c_id: i for i, c_id in enumerate(sorted(labels))}
    coded = codings(
        session, [a.id for rows in by_question.values() for _, a in rows if a.id]
    )
    kinds = {str(q["id"]): str(q["type"]) for q in questions(study)}
    given = {
        (a.participant_id, qid): a
        for qid, pairs in by_question.items()
        for _, a in pairs
    }
    rows: list[dict[str, Any]] = []
    for person in people:
        view = views.get(person.id or 0)
        for qid in kinds:
            answer = given.get((person.id or 0, qid))
            if answer is None:
                continue
            codes = sorted(coded.get(answer.id or 0, set()), key=order.__getitem__)
            rows.append(
                {
                    "participant": person.code,
                    "variant": person.variant or "",
                    "image": view.image if view else "",
                    "question": qid,
                    "type": kinds[qid],
                    "answer": answer.value_text or "",
                    "rating": int(answer.value_num)
                    if answer.value_num is not None
                    else "",
                    "codes": CODE_SEPARATOR.join(labels[c] for c in codes)
                    if joined
                    else [labels[c] for c in codes],
                    "shown_at": _iso(view.shown_at) if view else "",
                    "continued_at": _iso(view.continued_at) if view else "",
                    "answered_at": _iso(answer.answered_at),
                }
            )
    return rows


def export_rows(
    session: Session, study: Study
) -> dict[str, tuple[tuple[str, ...], list[dict[str, Any]]]]:
    """The tidy tables: ``five_second.csv`` and the participants and
    responses every study exports."""
    from uxlab.export import usability_tables

    tables = dict(usability_tables(session, study))
    tables.pop("attempts.csv", None)  # a five-second test has no tasks
    return {
        "five_second.csv": (EXPORT_COLUMNS, five_second_rows(session, study)),
        **tables,  # type: ignore[dict-item]
    }


def codebook_entries(study: Study) -> list[tuple[str, str, str, str, str]]:
    """The codebook's rows for ``five_second.csv``: its columns, then each
    question with its options or scale."""
    rows = [
        ("five_second.csv", column, "", *COLUMN_MEANINGS[column])
        for column in EXPORT_COLUMNS
    ]
    for q in questions(study):
        if q["type"] == "choice":
            values = "; ".join(str(o) for o in q.get("options", []))
        elif q["type"] == "rating":
            low, high = (list(q.get("labels", [])) + ["", ""])[:2]
            values = f"1-{q.get('scale', 5)} (1 = {low}, {q.get('scale', 5)} = {high})"
        else:
            values = "free text"
        rows.append(
            (
                "five_second.csv",
                f"question={q['id']}",
                str(q["id"]),
                f"Recall question ({q['type']}): {q['text']}",
                values,
            )
        )
    return rows
