"""Themes in a touchpoint's open answers: codes counted per period, and
studies or audit projects started from them.

Researchers code a touchpoint's open answers with the workspace's codebook of
customer answers ("delivery date", "discount code"; see :mod:`uxlab.coding`).
Each code is counted per week or month, so a theme's rise shows. From a code,
a researcher can start a usability study aimed at the touchpoint; the study
remembers where it came from ("started from 14 answers tagged 'delivery date'
at Checkout") and the touchpoint lists it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab import coding
from uxlab.coding import Code, Codebook, CxResponseCode
from uxlab.cx.models import CxJourney, CxResponse, CxTouchpoint
from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import Researcher, Study, utcnow

if TYPE_CHECKING:
    # The trends need scipy: imported where they are used, not with the models.
    from uxlab.cx.trends import Every
    from uxlab.models import AuditProject

__all__ = [
    "CodeCounts",
    "ThemeError",
    "code_answer",
    "counts_per_period",
    "start_audit_project",
    "start_study",
]


class ThemeError(UxlabError):
    """A theme that cannot start anything; the message says why."""


def code_answer(
    db: Session,
    workspace_id: int,
    touchpoint: CxTouchpoint,
    response_id: int,
    code_ids: Iterable[int],
    new_label: str = "",
) -> list[Code]:
    """Make ``code_ids`` (and ``new_label``, made if new) exactly the codes of
    one open answer at the touchpoint; the caller opens the write and commits."""
    response = db.get(CxResponse, response_id)
    if response is None or response.touchpoint_id != touchpoint.id:
        raise NotFoundError(f"no answer {response_id} at this touchpoint")
    if not response.open_text:
        raise coding.CodeError("Only open answers are coded.")
    return coding.set_codes(
        db,
        Codebook.customer_answers(workspace_id),
        CxResponseCode,
        response_id,
        code_ids,
        new_label,
    )


@dataclass(frozen=True, slots=True)
class CodeCounts:
    """One code's answers at a touchpoint, per period (oldest first) and in all."""

    code: Code
    counts: tuple[int, ...]
    total: int


def counts_per_period(
    db: Session,
    touchpoint_id: int,
    every: Every,
    *,
    periods: int = 12,
    until: datetime | None = None,
) -> tuple[list[date], list[CodeCounts]]:
    """Each code's answers at the touchpoint per period, as the trend lists
    them: the last ``periods`` up to ``until`` (now)."""
    from uxlab.cx.trends import period_column, period_start, periods_back

    wanted = periods_back(every, period_start(every, until or utcnow()), periods)
    period = period_column(every)
    rows = db.exec(
        select(Code, period, func.count())
        .join(CxResponseCode, col(CxResponseCode.code_id) == col(Code.id))
        .join(CxResponse, col(CxResponse.id) == col(CxResponseCode.subject_id))
        .where(
            CxResponse.touchpoint_id == touchpoint_id,
            period >= wanted[0],
            period <= wanted[-1],
        )
        .group_by(col(Code.id), period)
    ).all()
    by_code: dict[int, tuple[Code, dict[date, int]]] = {}
    for code, start, n in rows:
        start = start if isinstance(start, date) else date.fromisoformat(str(start))
        by_code.setdefault(code.id or 0, (code, {}))[1][start] = int(n)
    found = [
        CodeCounts(code, tuple(c.get(p, 0) for p in wanted), sum(c.values()))
        for code, c in by_code.values()
    ]
    return wanted, sorted(found, key=lambda t: (-t.total, t.code.label.lower()))


def _quotes(db: Session, touchpoint_id: int, code_id: int, limit: int) -> list[str]:
    return [
        str(text)
        for text in db.exec(
            select(CxResponse.open_text)
            .join(CxResponseCode, col(CxResponseCode.subject_id) == col(CxResponse.id))
            .where(
                CxResponse.touchpoint_id == touchpoint_id,
                CxResponseCode.code_id == code_id,
            )
            .order_by(col(CxResponse.updated_at).desc())
            .limit(limit)
        ).all()
    ]


def _theme(
    db: Session, workspace_id: int, touchpoint: CxTouchpoint, code_id: int
) -> tuple[Code, int, str]:
    """The code, how many of the touchpoint's answers carry it, and the origin line."""
    code = coding.code_in(db, Codebook.customer_answers(workspace_id), code_id)
    journey = db.get(CxJourney, touchpoint.journey_id)
    assert journey is not None and touchpoint.id is not None
    count = int(
        db.exec(
            select(func.count())
            .select_from(CxResponseCode)
            .join(CxResponse, col(CxResponse.id) == col(CxResponseCode.subject_id))
            .where(
                CxResponse.touchpoint_id == touchpoint.id,
                CxResponseCode.code_id == code_id,
            )
        ).one()
    )
    if count == 0:
        raise ThemeError(f"No answers at {touchpoint.name} carry “{code.label}”.")
    origin = (
        f"Started from {count} answer{'s' if count != 1 else ''} tagged "
        f"“{code.label}” at {touchpoint.name} ({journey.name})."
    )
    return code, count, origin


def _link_theme(db: Session, link: Any) -> None:
    begin_write(db)
    try:
        db.add(link)
        db.commit()
    except BaseException:
        db.rollback()
        raise


def start_study(
    db: Session,
    workspace_id: int,
    touchpoint: CxTouchpoint,
    code_id: int,
    owner: Researcher,
) -> Study:
    """A draft study aimed at the touchpoint, from a code's answers there.

    The draft has one task on the theme and a SUS, for the researcher to
    shape before publishing; it is linked to the touchpoint with where it came
    from, which both the study's page and the touchpoint's page show.
    """
    from uxlab.cx.ux_side import CxTouchpointLink
    from uxlab.studies import import_study, parse_study

    code, count, origin = _theme(db, workspace_id, touchpoint, code_id)
    assert touchpoint.id is not None
    quotes = _quotes(db, touchpoint.id, code_id, 3)
    description = origin + (
        " Customers said: " + " ".join(f"“{q}”" for q in quotes) if quotes else ""
    )
    spec = {
        "title": f"{touchpoint.name}: {code.label}"[:200],
        "description": description,
        "tasks": [
            {
                "id": "theme",
                "title": code.label.capitalize(),
                "prompt": (
                    f"Customers at {touchpoint.name} mention “{code.label}”. Show us "
                    f"how you would get through {touchpoint.name} yourself."
                ),
            }
        ],
        "after_each_task": ["seq"],
        "questionnaires": ["sus"],
    }
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    study = import_study(
        db,
        parse_study(text, "theme.yaml"),
        owner=owner,
        source_text=text,
        workspace_id=workspace_id,
    )
    _link_theme(
        db,
        CxTouchpointLink(
            touchpoint_id=touchpoint.id,
            study_id=study.id,
            source_code_id=code_id,
            source_count=count,
        ),
    )
    return study


def start_audit_project(
    db: Session,
    workspace_id: int,
    touchpoint: CxTouchpoint,
    code_id: int,
    page_url: str,
    researcher_id: int | None,
) -> AuditProject:
    """An audit project of the touchpoint's page, from a code's answers there.

    The project audits ``page_url`` (the page customers meet at this
    touchpoint) at desktop and phone sizes with every check (the script names none),
    unscheduled, for
    the researcher to extend with the journey's steps; it is linked to the
    touchpoint with where it came from, as a study started from a theme is.
    """
    from uxlab.audits.projects import ProjectError, ProjectSettings, create_project
    from uxlab.cx.ux_side import CxTouchpointLink

    code, count, origin = _theme(db, workspace_id, touchpoint, code_id)
    assert touchpoint.id is not None
    parts = urlsplit(page_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ThemeError(
            "The page's address must start with http:// or https:// "
            "(e.g. https://shop.example.com/checkout)."
        )
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    name = f"{touchpoint.name}: {code.label}"[:200]
    script = yaml.safe_dump(
        {
            "name": name,
            "viewports": ["desktop", "mobile"],
            "tasks": [{"name": f"Open {touchpoint.name}", "steps": [{"goto": path}]}],
        },
        sort_keys=False,
        allow_unicode=True,
    )
    try:
        made = create_project(
            db,
            workspace_id,
            ProjectSettings(name=name, base_url=f"{parts.scheme}://{parts.netloc}"),
            f"# {origin}\n{script}",
            researcher_id=researcher_id,
        )
    except ProjectError as exc:
        raise ThemeError(str(exc)) from exc
    _link_theme(
        db,
        CxTouchpointLink(
            touchpoint_id=touchpoint.id,
            audit_project_id=made.project.id,
            source_code_id=code_id,
            source_count=count,
        ),
    )
    return made.project


def origin_of(
    db: Session, study_id: int | None = None, *, audit_project_id: int | None = None
) -> str | None:
    """Where a study (or an audit project) started from, when a theme of
    answers started it."""
    from uxlab.cx.ux_side import CxTouchpointLink

    which = (
        CxTouchpointLink.study_id == study_id
        if audit_project_id is None
        else CxTouchpointLink.audit_project_id == audit_project_id
    )
    row = db.exec(
        select(CxTouchpointLink, Code, CxTouchpoint, CxJourney)
        .join(Code, col(Code.id) == col(CxTouchpointLink.source_code_id))
        .join(CxTouchpoint, col(CxTouchpoint.id) == col(CxTouchpointLink.touchpoint_id))
        .join(CxJourney, col(CxJourney.id) == col(CxTouchpoint.journey_id))
        .where(which)
    ).first()
    if row is None:
        return None
    link, code, touchpoint, journey = row
    n = link.source_count or 0
    return (
        f"Started from {n} answer{'s' if n != 1 else ''} tagged “{code.label}” at "
        f"{touchpoint.name} ({journey.name})."
    )
