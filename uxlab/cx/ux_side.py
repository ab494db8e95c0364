"""The UX side of a touchpoint: the studies and audit projects aimed at it.

A touchpoint can be linked to usability studies and audit projects of the same
workspace. The journey map's card then shows, beside the CX scores, the latest
linked study's task success and SUS, each with its interval, and the latest
finished run of the latest linked audit project: passed or failed, and its
critical issues. Every figure links to the page it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from uxlab.cx.models import CxTouchpoint
from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import (
    AuditProject,
    AuditProjectRun,
    RunStatus,
    Study,
    utcnow,
)

if TYPE_CHECKING:
    # The analysis needs numpy and scipy: imported when a card needs it, not
    # wherever the models are.
    from uxlab.analysis.summary import TaskResult
    from uxlab.stats.results import SUSResult

__all__ = [
    "AuditSide",
    "CxTouchpointLink",
    "StudySide",
    "UxSide",
    "link",
    "links_of",
    "unlink",
    "ux_side",
]

#: Tasks a map card lists; the rest are counted.
CARD_TASKS = 3


class CxTouchpointLink(SQLModel, table=True):
    """A study or an audit project aimed at a touchpoint (exactly one of the two)."""

    __table_args__ = (
        UniqueConstraint("touchpoint_id", "study_id"),
        UniqueConstraint("touchpoint_id", "audit_project_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    touchpoint_id: int = Field(
        foreign_key="cxtouchpoint.id", index=True, ondelete="CASCADE"
    )
    study_id: int | None = Field(
        default=None, foreign_key="study.id", ondelete="CASCADE"
    )
    audit_project_id: int | None = Field(
        default=None, foreign_key="auditproject.id", ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow)
    #: For a study started from a theme: the code, and how many answers had it.
    source_code_id: int | None = Field(
        default=None, foreign_key="code.id", ondelete="SET NULL"
    )
    source_count: int | None = None


class LinkError(UxlabError):
    """A link that cannot be made; the message says why."""


def link(
    db: Session,
    workspace_id: int,
    touchpoint: CxTouchpoint,
    *,
    study_id: int | None = None,
    audit_project_id: int | None = None,
) -> CxTouchpointLink:
    """Aim a study or an audit project of the same workspace at the touchpoint."""
    if (study_id is None) == (audit_project_id is None):
        raise LinkError("Choose a study or an audit project.")
    if study_id is not None:
        study = db.get(Study, study_id)
        if study is None or study.workspace_id != workspace_id:
            raise LinkError("That study is not in this workspace.")
    else:
        project = db.get(AuditProject, audit_project_id)
        if (
            project is None
            or project.workspace_id != workspace_id
            or project.study_id is not None
        ):
            raise LinkError("That audit project is not in this workspace.")
    begin_write(db)
    try:
        existing = db.exec(
            select(CxTouchpointLink).where(
                CxTouchpointLink.touchpoint_id == touchpoint.id,
                CxTouchpointLink.study_id == study_id,
                CxTouchpointLink.audit_project_id == audit_project_id,
            )
        ).first()
        if existing is not None:
            db.rollback()
            return existing
        made = CxTouchpointLink(
            touchpoint_id=touchpoint.id or 0,
            study_id=study_id,
            audit_project_id=audit_project_id,
        )
        db.add(made)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return made


def unlink(db: Session, touchpoint: CxTouchpoint, link_id: int) -> None:
    begin_write(db)
    try:
        found = db.get(CxTouchpointLink, link_id)
        if found is None or found.touchpoint_id != touchpoint.id:
            raise NotFoundError(f"no link {link_id}")
        db.delete(found)
        db.commit()
    except BaseException:
        db.rollback()
        raise


def links_of(
    db: Session, touchpoint_id: int
) -> tuple[
    list[tuple[CxTouchpointLink, Study]], list[tuple[CxTouchpointLink, AuditProject]]
]:
    """The touchpoint's linked studies and audit projects, newest first."""
    studies = db.exec(
        select(CxTouchpointLink, Study)
        .join(Study, col(Study.id) == col(CxTouchpointLink.study_id))
        .where(CxTouchpointLink.touchpoint_id == touchpoint_id)
        .order_by(col(Study.created_at).desc(), col(Study.id).desc())
    ).all()
    projects = db.exec(
        select(CxTouchpointLink, AuditProject)
        .join(
            AuditProject, col(AuditProject.id) == col(CxTouchpointLink.audit_project_id)
        )
        .where(CxTouchpointLink.touchpoint_id == touchpoint_id)
        .order_by(col(AuditProject.created_at).desc(), col(AuditProject.id).desc())
    ).all()
    return [(a, b) for a, b in studies], [(a, b) for a, b in projects]


@dataclass(frozen=True, slots=True)
class StudySide:
    study: Study
    #: The study's participants whose data count.
    included: int
    tasks: tuple[TaskResult, ...]
    more_tasks: int
    sus: SUSResult | None
    #: The id of the questionnaire SUS comes from: the results page's ``q-<id>``.
    sus_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditSide:
    project: AuditProject
    #: The latest finished run (passed, failed or error), or None yet.
    run: AuditProjectRun | None
    critical: int


@dataclass(frozen=True, slots=True)
class UxSide:
    study: StudySide | None
    audit: AuditSide | None


def _study_side(db: Session, study: Study) -> StudySide:
    from uxlab.analysis.summary import analyse_study

    report = analyse_study(db, study)
    scored = next((q for q in report.questionnaires if q.sus is not None), None)
    return StudySide(
        study=study,
        included=report.overview.included,
        tasks=report.tasks[:CARD_TASKS],
        more_tasks=max(len(report.tasks) - CARD_TASKS, 0),
        sus=scored.sus if scored is not None else None,
        sus_id=scored.id if scored is not None else None,
    )


def _audit_side(db: Session, project: AuditProject) -> AuditSide:
    from uxlab.audits.history import severity_counts

    run = db.exec(
        select(AuditProjectRun)
        .where(
            AuditProjectRun.project_id == project.id,
            col(AuditProjectRun.status).in_(
                [RunStatus.passed, RunStatus.failed, RunStatus.error]
            ),
        )
        .order_by(col(AuditProjectRun.id).desc())
        .limit(1)
    ).first()
    critical = severity_counts(run.summary).get("critical", 0) if run else 0
    return AuditSide(project, run, critical)


def ux_side(db: Session, touchpoint_ids: list[int]) -> dict[int, UxSide]:
    """For each touchpoint with links: its latest study's and audit's figures."""
    found: dict[int, UxSide] = {}
    for touchpoint_id in touchpoint_ids:
        studies, projects = links_of(db, touchpoint_id)
        if not studies and not projects:
            continue
        found[touchpoint_id] = UxSide(
            study=_study_side(db, studies[0][1]) if studies else None,
            audit=_audit_side(db, projects[0][1]) if projects else None,
        )
    return found
