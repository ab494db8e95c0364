"""Coding open answers: a workspace's tags, their counts per period, and themes.

Researchers tag a touchpoint's open answers with codes of their own ("delivery
date", "discount code"). Each tag is counted per week or month, so a theme's
rise shows. From a tag, a researcher can start a usability study aimed at the
touchpoint; the study remembers where it came from ("started from 14
answers tagged 'delivery date' at Checkout") and the touchpoint lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from uxlab.cx.models import CxJourney, CxResponse, CxTouchpoint
from uxlab.db import begin_write
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import Researcher, Study, utcnow

if TYPE_CHECKING:
    # The trends need scipy: imported where they are used, not with the models.
    from uxlab.cx.trends import Every
    from uxlab.models import AuditProject

__all__ = [
    "CxResponseTag",
    "CxTag",
    "TagCounts",
    "TagError",
    "counts_per_period",
    "start_audit_project",
    "start_study",
    "tag_answer",
    "tags_of",
    "untag_answer",
]

#: Longest tag name.
MAX_TAG = 60


class CxTag(SQLModel, table=True):
    """A code a workspace's researchers give open answers."""

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    name: str = Field(max_length=MAX_TAG)


class CxResponseTag(SQLModel, table=True):
    """A tag on one answer."""

    response_id: int = Field(
        foreign_key="cxresponse.id", primary_key=True, ondelete="CASCADE"
    )
    tag_id: int = Field(foreign_key="cxtag.id", primary_key=True, ondelete="CASCADE")


class TagError(UxlabError):
    """A tag that cannot be given; the message says why."""


def _name(raw: str) -> str:
    name = " ".join(raw.split()).lower()
    if not name:
        raise TagError("Type a tag, such as “delivery date”.")
    if len(name) > MAX_TAG:
        raise TagError(f"A tag is at most {MAX_TAG} characters long.")
    return name


def tags_of(db: Session, workspace_id: int) -> list[CxTag]:
    return list(
        db.exec(
            select(CxTag)
            .where(CxTag.workspace_id == workspace_id)
            .order_by(col(CxTag.name))
        ).all()
    )


def answer_tags(db: Session, response_ids: list[int]) -> dict[int, list[CxTag]]:
    """The tags of each of these answers, by name."""
    if not response_ids:
        return {}
    rows = db.exec(
        select(CxResponseTag.response_id, CxTag)
        .join(CxTag, col(CxTag.id) == col(CxResponseTag.tag_id))
        .where(col(CxResponseTag.response_id).in_(response_ids))
        .order_by(col(CxTag.name))
    ).all()
    found: dict[int, list[CxTag]] = {}
    for response_id, tag in rows:
        found.setdefault(int(response_id), []).append(tag)
    return found


def _response(db: Session, touchpoint: CxTouchpoint, response_id: int) -> CxResponse:
    response = db.get(CxResponse, response_id)
    if response is None or response.touchpoint_id != touchpoint.id:
        raise NotFoundError(f"no answer {response_id} at this touchpoint")
    if not response.open_text:
        raise TagError("Only open answers are tagged.")
    return response


def tag_answer(
    db: Session, workspace_id: int, touchpoint: CxTouchpoint, response_id: int, raw: str
) -> CxTag:
    """Give an open answer a tag, made for the workspace if it is new."""
    name = _name(raw)
    _response(db, touchpoint, response_id)
    begin_write(db)
    try:
        tag = db.exec(
            select(CxTag).where(CxTag.workspace_id == workspace_id, CxTag.name == name)
        ).first()
        if tag is None:
            tag = CxTag(workspace_id=workspace_id, name=name)
            db.add(tag)
            db.flush()
        assert tag.id is not None
        if db.get(CxResponseTag, (response_id, tag.id)) is None:
            db.add(CxResponseTag(response_id=response_id, tag_id=tag.id))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return tag


def untag_answer(
    db: Session, touchpoint: CxTouchpoint, response_id: int, tag_id: int
) -> None:
    _response(db, touchpoint, response_id)
    begin_write(db)
    try:
        found = db.get(CxResponseTag, (response_id, tag_id))
        if found is not None:
            db.delete(found)
        db.commit()
    except BaseException:
        db.rollback()
        raise


@dataclass(frozen=True, slots=True)
class TagCounts:
    """One tag's answers at a touchpoint, per period (oldest first) and in all."""

    tag: CxTag
    counts: tuple[int, ...]
    total: int


def counts_per_period(
    db: Session, touchpoint_id: int, every: Every, *, periods: int = 12
) -> tuple[list[date], list[TagCounts]]:
    """Each tag's answers at the touchpoint per period, as the trend lists them."""
    from uxlab.cx.trends import period_column, period_start, periods_back

    wanted = periods_back(every, period_start(every, utcnow()), periods)
    period = period_column(every)
    rows = db.exec(
        select(CxTag, period, func.count())
        .join(CxResponseTag, col(CxResponseTag.tag_id) == col(CxTag.id))
        .join(CxResponse, col(CxResponse.id) == col(CxResponseTag.response_id))
        .where(
            CxResponse.touchpoint_id == touchpoint_id,
            period >= wanted[0],
            period <= wanted[-1],
        )
        .group_by(col(CxTag.id), period)
    ).all()
    by_tag: dict[int, tuple[CxTag, dict[date, int]]] = {}
    for tag, start, n in rows:
        start = start if isinstance(start, date) else date.fromisoformat(str(start))
        by_tag.setdefault(tag.id or 0, (tag, {}))[1][start] = int(n)
    found = [
        TagCounts(tag, tuple(c.get(p, 0) for p in wanted), sum(c.values()))
        for tag, c in by_tag.values()
    ]
    return wanted, sorted(found, key=lambda t: (-t.total, t.tag.name))


def _quotes(db: Session, touchpoint_id: int, tag_id: int, limit: int) -> list[str]:
    return [
        str(text)
        for text in db.exec(
            select(CxResponse.open_text)
            .join(CxResponseTag, col(CxResponseTag.response_id) == col(CxResponse.id))
            .where(
                CxResponse.touchpoint_id == touchpoint_id,
                CxResponseTag.tag_id == tag_id,
            )
            .order_by(col(CxResponse.updated_at).desc())
            .limit(limit)
        ).all()
    ]


def _theme(
    db: Session, workspace_id: int, touchpoint: CxTouchpoint, tag_id: int
) -> tuple[CxTag, int, str]:
    """The tag, how many of the touchpoint's answers carry it, and the origin line."""
    tag = db.get(CxTag, tag_id)
    if tag is None or tag.workspace_id != workspace_id:
        raise NotFoundError(f"no tag {tag_id}")
    journey = db.get(CxJourney, touchpoint.journey_id)
    assert journey is not None and touchpoint.id is not None
    count = int(
        db.exec(
            select(func.count())
            .select_from(CxResponseTag)
            .join(CxResponse, col(CxResponse.id) == col(CxResponseTag.response_id))
            .where(
                CxResponse.touchpoint_id == touchpoint.id,
                CxResponseTag.tag_id == tag_id,
            )
        ).one()
    )
    if count == 0:
        raise TagError(f"No answers at {touchpoint.name} carry “{tag.name}”.")
    origin = (
        f"Started from {count} answer{'s' if count != 1 else ''} tagged "
        f"“{tag.name}” at {touchpoint.name} ({journey.name})."
    )
    return tag, count, origin


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
    tag_id: int,
    owner: Researcher,
) -> Study:
    """A draft study aimed at the touchpoint, from a tag's answers there.

    The draft has one task on the theme and a SUS, for the researcher to
    shape before publishing; it is linked to the touchpoint with where it came
    from, which both the study's page and the touchpoint's page show.
    """
    from uxlab.cx.ux_side import CxTouchpointLink
    from uxlab.studies import import_study, parse_study

    tag, count, origin = _theme(db, workspace_id, touchpoint, tag_id)
    assert touchpoint.id is not None
    quotes = _quotes(db, touchpoint.id, tag_id, 3)
    description = origin + (
        " Customers said: " + " ".join(f"“{q}”" for q in quotes) if quotes else ""
    )
    spec = {
        "title": f"{touchpoint.name}: {tag.name}"[:200],
        "description": description,
        "tasks": [
            {
                "id": "theme",
                "title": tag.name.capitalize(),
                "prompt": (
                    f"Customers at {touchpoint.name} mention “{tag.name}”. Show us "
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
            source_tag_id=tag_id,
            source_count=count,
        ),
    )
    return study


def start_audit_project(
    db: Session,
    workspace_id: int,
    touchpoint: CxTouchpoint,
    tag_id: int,
    page_url: str,
    researcher_id: int | None,
) -> AuditProject:
    """An audit project of the touchpoint's page, from a tag's answers there.

    The project audits ``page_url`` (the page customers meet at this
    touchpoint) at desktop and phone sizes with every check (the script names none),
    unscheduled, for
    the researcher to extend with the journey's steps; it is linked to the
    touchpoint with where it came from, as a study started from a theme is.
    """
    from uxlab.audits.projects import ProjectError, ProjectSettings, create_project
    from uxlab.cx.ux_side import CxTouchpointLink

    tag, count, origin = _theme(db, workspace_id, touchpoint, tag_id)
    assert touchpoint.id is not None
    parts = urlsplit(page_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TagError(
            "The page's address must start with http:// or https:// "
            "(e.g. https://shop.example.com/checkout)."
        )
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    name = f"{touchpoint.name}: {tag.name}"[:200]
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
        raise TagError(str(exc)) from exc
    _link_theme(
        db,
        CxTouchpointLink(
            touchpoint_id=touchpoint.id,
            audit_project_id=made.project.id,
            source_tag_id=tag_id,
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
        select(CxTouchpointLink, CxTag, CxTouchpoint, CxJourney)
        .join(CxTag, col(CxTag.id) == col(CxTouchpointLink.source_tag_id))
        .join(CxTouchpoint, col(CxTouchpoint.id) == col(CxTouchpointLink.touchpoint_id))
        .join(CxJourney, col(CxJourney.id) == col(CxTouchpoint.journey_id))
        .where(which)
    ).first()
    if row is None:
        return None
    link, tag, touchpoint, journey = row
    n = link.source_count or 0
    return (
        f"Started from {n} answer{'s' if n != 1 else ''} tagged “{tag.name}” at "
        f"{touchpoint.name} ({journey.name})."
    )
