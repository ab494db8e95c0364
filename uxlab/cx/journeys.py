"""Creating and changing journeys, their stages, touchpoints and surveys.

Every lookup names the workspace, so an id from another workspace is "not
found", never shown or changed. Names are plain text (Jinja escapes them);
none is rendered as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import TypeVar

from sqlmodel import Session, col, select

from uxlab.cx.models import (
    BLOCKS,
    ChannelKind,
    CxChannel,
    CxJourney,
    CxStage,
    CxSurvey,
    CxTouchpoint,
)
from uxlab.errors import NotFoundError, UxlabError
from uxlab.models import utcnow
from uxlab.tokens import hash_token

__all__ = [
    "HIDDEN_NAME",
    "JourneyView",
    "JourneyError",
    "StageView",
    "add_stage",
    "add_missing_channels",
    "add_touchpoint",
    "channel_token",
    "channels_of",
    "create_journey",
    "delete_journey",
    "delete_stage",
    "delete_survey",
    "delete_touchpoint",
    "ensure_channels",
    "get_journey",
    "get_touchpoint",
    "journey_view",
    "journeys_of",
    "live_survey",
    "move",
    "put_survey",
    "rename",
    "save_survey",
    "set_enabled",
    "survey_fields",
    "survey_ids",
]

#: A hidden field's name: letters, digits and underscores, as in a query string.
HIDDEN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Answer parameters a link may carry; a hidden field cannot take these names.
_RESERVED = frozenset({*BLOCKS, "open_text", "csrf_token"})
_MAX_NAME = 200


class JourneyError(UxlabError):
    """A journey or survey change that cannot be made as asked."""

    code = "invalid_journey"
    status = 400


@dataclass(frozen=True, slots=True)
class StageView:
    stage: CxStage
    touchpoints: list[CxTouchpoint] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class JourneyView:
    journey: CxJourney
    stages: list[StageView]


def _name(raw: str, what: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise JourneyError(f"The {what} needs a name.")
    if len(name) > _MAX_NAME:
        raise JourneyError(f"The {what}'s name is longer than {_MAX_NAME} characters.")
    return name


def journeys_of(db: Session, workspace_id: int) -> list[CxJourney]:
    query = select(CxJourney).where(CxJourney.workspace_id == workspace_id)
    return list(db.exec(query.order_by(col(CxJourney.name), col(CxJourney.id))).all())


def create_journey(
    db: Session, workspace_id: int, name: str, stages: list[str]
) -> CxJourney:
    """A journey with the named stages (blank lines left out), left to right."""
    journey = CxJourney(workspace_id=workspace_id, name=_name(name, "journey"))
    names = [_name(s, "stage") for s in stages if s.strip()]
    db.add(journey)
    db.flush()
    assert journey.id is not None
    for position, stage in enumerate(names):
        db.add(CxStage(journey_id=journey.id, name=stage, position=position))
    db.commit()
    return journey


def get_journey(db: Session, workspace_id: int, journey_id: int) -> CxJourney:
    journey = db.get(CxJourney, journey_id)
    if journey is None or journey.workspace_id != workspace_id:
        raise NotFoundError(f"no journey {journey_id}")
    return journey


def get_touchpoint(
    db: Session, workspace_id: int, touchpoint_id: int
) -> tuple[CxJourney, CxTouchpoint]:
    touchpoint = db.get(CxTouchpoint, touchpoint_id)
    if touchpoint is None:
        raise NotFoundError(f"no touchpoint {touchpoint_id}")
    journey = db.get(CxJourney, touchpoint.journey_id)
    if journey is None or journey.workspace_id != workspace_id:
        raise NotFoundError(f"no touchpoint {touchpoint_id}")
    return journey, touchpoint


def _stage(db: Session, journey: CxJourney, stage_id: int) -> CxStage:
    stage = db.get(CxStage, stage_id)
    if stage is None or stage.journey_id != journey.id:
        raise NotFoundError(f"no stage {stage_id} in this journey")
    return stage


def _touchpoint(db: Session, journey: CxJourney, touchpoint_id: int) -> CxTouchpoint:
    touchpoint = db.get(CxTouchpoint, touchpoint_id)
    if touchpoint is None or touchpoint.journey_id != journey.id:
        raise NotFoundError(f"no touchpoint {touchpoint_id} in this journey")
    return touchpoint


def journey_view(db: Session, journey: CxJourney) -> JourneyView:
    """The journey's stages in order, each with its touchpoints in order."""
    stages = db.exec(
        select(CxStage)
        .where(CxStage.journey_id == journey.id)
        .order_by(col(CxStage.position), col(CxStage.id))
    ).all()
    points = db.exec(
        select(CxTouchpoint)
        .where(CxTouchpoint.journey_id == journey.id)
        .order_by(col(CxTouchpoint.position), col(CxTouchpoint.id))
    ).all()
    views = [StageView(s) for s in stages]
    by_id = {v.stage.id: v for v in views}
    for point in points:
        by_id[point.stage_id].touchpoints.append(point)
    return JourneyView(journey, views)


def add_stage(db: Session, journey: CxJourney, name: str) -> CxStage:
    assert journey.id is not None
    last = len(journey_view(db, journey).stages)
    stage = CxStage(journey_id=journey.id, name=_name(name, "stage"), position=last)
    db.add(stage)
    db.commit()
    return stage


def add_touchpoint(
    db: Session, journey: CxJourney, stage_id: int, name: str
) -> CxTouchpoint:
    """A touchpoint at the end of the stage (its survey is chosen on its page)."""
    stage = _stage(db, journey, stage_id)
    assert journey.id is not None and stage.id is not None
    count = len(
        db.exec(select(CxTouchpoint.id).where(CxTouchpoint.stage_id == stage.id)).all()
    )
    point = CxTouchpoint(
        journey_id=journey.id,
        stage_id=stage.id,
        name=_name(name, "touchpoint"),
        position=count,
    )
    db.add(point)
    db.commit()
    return point


def rename(db: Session, journey: CxJourney, kind: str, item_id: int, name: str) -> None:
    """Rename the journey, one of its stages or one of its touchpoints."""
    if kind == "journey":
        journey.name = _name(name, "journey")
        db.add(journey)
    elif kind == "stage":
        stage = _stage(db, journey, item_id)
        stage.name = _name(name, "stage")
        db.add(stage)
    elif kind == "touchpoint":
        point = _touchpoint(db, journey, item_id)
        point.name = _name(name, "touchpoint")
        db.add(point)
    else:
        raise JourneyError(f"Nothing called {kind!r} can be renamed.")
    db.commit()


Item = TypeVar("Item", CxStage, CxTouchpoint)


def _swap(db: Session, items: list[Item], index: int, step: int) -> None:
    other = index + step
    if not 0 <= other < len(items):
        raise JourneyError("It is already at that end.")
    items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):
        item.position = position
        db.add(item)
    db.commit()


def move(db: Session, journey: CxJourney, kind: str, item_id: int, step: int) -> None:
    """Move a stage left or right (-1, +1), or a touchpoint up or down in its stage."""
    if step not in (-1, 1):
        raise JourneyError("A move is one place at a time.")
    view = journey_view(db, journey)
    if kind == "stage":
        stages = [v.stage for v in view.stages]
        index = next((i for i, s in enumerate(stages) if s.id == item_id), None)
        if index is None:
            raise NotFoundError(f"no stage {item_id} in this journey")
        _swap(db, stages, index, step)
        return
    point = _touchpoint(db, journey, item_id)
    siblings = next(v.touchpoints for v in view.stages if v.stage.id == point.stage_id)
    _swap(db, siblings, siblings.index(point), step)


def delete_stage(db: Session, journey: CxJourney, stage_id: int) -> None:
    """Delete a stage with its touchpoints and their answers."""
    stage = _stage(db, journey, stage_id)
    for point in db.exec(select(CxTouchpoint).where(CxTouchpoint.stage_id == stage.id)):
        db.delete(point)
    db.delete(stage)
    db.commit()


def delete_journey(db: Session, journey: CxJourney) -> None:
    """Delete a journey with everything in it (the database cascades)."""
    db.delete(journey)
    db.commit()


def delete_touchpoint(db: Session, journey: CxJourney, touchpoint_id: int) -> None:
    """Delete a touchpoint with its surveys and answers."""
    db.delete(_touchpoint(db, journey, touchpoint_id))
    db.commit()


def set_enabled(db: Session, touchpoint: CxTouchpoint, enabled: bool) -> None:
    touchpoint.enabled = enabled
    db.add(touchpoint)
    db.commit()


# ------------------------------------------------------------------ surveys


def live_survey(db: Session, touchpoint: CxTouchpoint) -> CxSurvey | None:
    """The touchpoint's survey, unless it has none (or it was deleted)."""
    return db.exec(
        select(CxSurvey).where(
            CxSurvey.touchpoint_id == touchpoint.id,
            col(CxSurvey.deleted_at).is_(None),
        )
    ).first()


def _hidden_fields(raw: str) -> list[str]:
    names: list[str] = []
    for name in re.split(r"[\s,]+", raw.strip().lower()):
        if not name:
            continue
        if not HIDDEN_NAME.match(name):
            raise JourneyError(
                f"The hidden field {name!r} is not a name a link can carry: use "
                "lowercase letters, digits and underscores, starting with a letter "
                "(at most 40)."
            )
        if name in _RESERVED:
            raise JourneyError(
                f"The hidden field {name!r} has the name of a question; choose another."
            )
        if name not in names:
            names.append(name)
    if len(names) > 10:
        raise JourneyError("A survey takes at most 10 hidden fields.")
    return names


def save_survey(
    db: Session,
    touchpoint: CxTouchpoint,
    blocks: list[str],
    open_question: str,
    hidden_fields: str,
    secret: str,
) -> CxSurvey:
    """Create or change the touchpoint's survey; a new one gets its channels.

    Changing the blocks keeps the links (and the answers given through them).
    """
    survey = put_survey(
        db, touchpoint, *survey_fields(blocks, open_question, hidden_fields), secret
    )
    db.commit()
    return survey


def survey_fields(
    blocks: list[str], open_question: str, hidden_fields: str
) -> tuple[list[str], str, list[str]]:
    """A survey's blocks in the order asked, open question and hidden fields."""
    chosen = [b for b in BLOCKS if b in blocks]
    unknown = sorted(set(blocks) - set(BLOCKS))
    if unknown:
        raise JourneyError(f"Unknown question blocks: {', '.join(unknown)}.")
    if not chosen:
        raise JourneyError("Choose at least one question for the survey.")
    question = " ".join(open_question.split())
    if "open" in chosen and not question:
        raise JourneyError("The open question needs its wording.")
    if len(question) > 500:
        raise JourneyError("The open question is longer than 500 characters.")
    return chosen, question, _hidden_fields(hidden_fields)


def put_survey(
    db: Session,
    touchpoint: CxTouchpoint,
    blocks: list[str],
    open_question: str,
    hidden_fields: list[str],
    secret: str,
) -> CxSurvey:
    """Set the touchpoint's survey from checked fields, in the open transaction."""
    survey = live_survey(db, touchpoint)
    if survey is None:
        assert touchpoint.id is not None
        survey = CxSurvey(touchpoint_id=touchpoint.id)
    survey.blocks = blocks
    survey.open_question = open_question
    survey.hidden_fields = hidden_fields
    db.add(survey)
    db.flush()
    add_missing_channels(db, survey, secret)
    return survey


def add_missing_channels(db: Session, survey: CxSurvey, secret: str) -> int:
    """Add the channels the survey lacks, one of each kind; how many were added."""
    assert survey.id is not None
    kinds = {c.kind for c in channels_of(db, survey)}
    missing = [k for k in ChannelKind if k.value not in kinds]
    for kind in missing:
        channel = CxChannel(
            survey_id=survey.id,
            kind=kind.value,
            nonce=secrets.token_hex(16),
            token_hash="",
        )
        channel.token_hash = hash_token(channel_token(channel, secret))
        db.add(channel)
    db.flush()
    return len(missing)


def ensure_channels(db: Session, survey: CxSurvey, secret: str) -> list[CxChannel]:
    """The survey's channels, one of each kind, making any it lacks.

    A survey made before a kind of channel existed gets it here.
    """
    add_missing_channels(db, survey, secret)
    db.commit()
    return channels_of(db, survey)


def delete_survey(db: Session, survey: CxSurvey) -> None:
    """Stop the survey: its links show that it has ended; its answers stay."""
    survey.deleted_at = utcnow()
    db.add(survey)
    db.commit()


def survey_ids(db: Session, touchpoint: CxTouchpoint) -> list[int]:
    """Every survey the touchpoint has had, deleted ones too."""
    query = select(CxSurvey.id).where(CxSurvey.touchpoint_id == touchpoint.id)
    return [i for i in db.exec(query).all() if i is not None]


def channels_of(db: Session, survey: CxSurvey) -> list[CxChannel]:
    return list(
        db.exec(
            select(CxChannel)
            .where(CxChannel.survey_id == survey.id)
            .order_by(col(CxChannel.id))
        ).all()
    )


def channel_token(channel: CxChannel, secret: str) -> str:
    """The token in a channel's link: HMAC-SHA256(secret, survey id and nonce)."""
    message = f"cx:{channel.survey_id}:{channel.kind}:{channel.nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
