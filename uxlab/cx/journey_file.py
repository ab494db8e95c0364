"""A journey as YAML: downloaded from its page, pasted to define another.

::

    name: Buy online
    stages:
      - id: 2
        name: Buy
        touchpoints:
          - id: 7
            name: Checkout
            enabled: true
            survey:
              blocks: [nps, csat, open]
              open_question: What is the main reason for your score?
              hidden_fields: [order]
            widget:
              allowed_origins: [https://shop.example.com]
              trigger: delay
              delay_s: 10
              url_pattern: ''
              sample_percent: 10
              throttle_days: 30
              dismiss_days: 90
            studies: [checkout-usability]
            audit_projects: [Checkout nightly]
    followups:
      reference_field: order
      webhook_url: https://crm.example.com/hooks/uxlab

``widget`` (optional) holds the web widget's allowed origins and its
:class:`uxlab.cx.widget.WidgetSettings`. ``studies`` (by slug) and
``audit_projects`` (by name) are the workspace's studies and audit projects
aimed at the touchpoint, shown beside its scores on the journey map.
``followups`` holds the journey's follow-up rules. A file is checked whole
before anything is saved; each problem names where it is and its line
(``stages[1].touchpoints[0].survey.blocks: ... (line 9)``), and a study or
audit project the workspace does not have is one. Answers and channel links
are not in the file: a journey made from it (:func:`import_journey`) starts
with new links and no answers, whatever ids the file carries.

:func:`apply_journey` makes an existing journey what its file says. A stage
or touchpoint with an ``id`` is that one of the journey, moved and renamed
as the file has it, and keeps its survey's links (the widget's token, the
link, the QR code) and its answers; one without an ``id`` is new. A
touchpoint the file leaves out is removed if it has no answers; one with
answers is refused, as a line lost from a file must not delete what
customers said (the file can pause it with ``enabled: false``, and the
journey page deletes it, answers and all, when that is meant). Everything
else follows the file: a survey, widget settings or links it leaves out are
stopped or cleared (a stopped survey's answers stay).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.cx import followups, ux_side
from uxlab.cx import journeys as store
from uxlab.cx import widget as widget_store
from uxlab.cx.followup_models import CxFollowupSettings
from uxlab.cx.models import BLOCKS, CxJourney, CxResponse, CxStage, CxTouchpoint
from uxlab.cx.ux_side import CxTouchpointLink
from uxlab.db import begin_write
from uxlab.errors import UxlabError
from uxlab.models import AuditProject, Study, utcnow
from uxlab.studies import line_index

__all__ = [
    "Applied",
    "JourneyFileError",
    "apply_journey",
    "import_journey",
    "journey_yaml",
]

#: Longest journey file taken.
MAX_CHARS = 100_000


class JourneyFileError(UxlabError):
    """A journey file that cannot be read, with every problem found."""

    code = "invalid_journey_file"
    status = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def journey_yaml(db: Session, journey: CxJourney) -> str:
    """The journey's stages, touchpoints and surveys as YAML."""
    stages: list[dict[str, Any]] = []
    for view in store.journey_view(db, journey).stages:
        points: list[dict[str, Any]] = []
        for point in view.touchpoints:
            entry: dict[str, Any] = {
                "id": point.id,
                "name": point.name,
                "enabled": point.enabled,
            }
            survey = store.live_survey(db, point)
            if survey is not None:
                entry["survey"] = {
                    "blocks": list(survey.blocks),
                    "open_question": survey.open_question,
                    "hidden_fields": list(survey.hidden_fields),
                }
            if point.allowed_origins or point.widget:
                entry["widget"] = {
                    "allowed_origins": list(point.allowed_origins),
                    **widget_store.read_settings(point).as_json(),
                }
            studies, projects = ux_side.links_of(db, point.id or 0)
            if studies:
                entry["studies"] = sorted(study.slug for _, study in studies)
            if projects:
                entry["audit_projects"] = sorted(p.name for _, p in projects)
            points.append(entry)
        stages.append(
            {"id": view.stage.id, "name": view.stage.name, "touchpoints": points}
        )
    document: dict[str, Any] = {"name": journey.name, "stages": stages}
    rules = db.get(CxFollowupSettings, journey.id)
    if rules is not None and (rules.reference_field or rules.webhook_url):
        document["followups"] = {
            "reference_field": rules.reference_field,
            "webhook_url": rules.webhook_url,
        }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


#: A problem about one place in the file starts with its path.
_PATH = re.compile(r"^([a-z_]+(?:\[\d+\]|\.[a-z_]+)*): ")


def _with_lines(text: str, problems: list[str]) -> list[str]:
    """Each problem that names a place in the file, with that place's line."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return problems
    lines = line_index(node) if node is not None else {}
    found: list[str] = []
    for problem in problems:
        match = _PATH.match(problem)
        path: tuple[str | int, ...] = ()
        if match is not None:
            path = tuple(
                int(part) if part.isdigit() else part
                for part in re.findall(r"[a-z_]+|\d+", match[1])
            )
        while path and path not in lines:
            path = path[:-1]  # a key the file lacks: the line of what holds it
        found.append(f"{problem} (line {lines[path]})" if path else problem)
    return found


def _names(value: Any, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        problems.append(f"{where}: a list of names")
        return []
    return list(value)


def _followups(value: Any, problems: list[str]) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append("followups: a mapping with reference_field and webhook_url")
        return None
    unknown = sorted(set(value) - {"reference_field", "webhook_url"})
    if unknown:
        problems.append(f"followups: unknown keys {', '.join(map(str, unknown))}")
    field, url = value.get("reference_field", ""), value.get("webhook_url", "")
    if not isinstance(field, str) or not isinstance(url, str):
        problems.append("followups: reference_field and webhook_url must be text")
        return None
    field, url = field.strip().lower(), url.strip()
    problem = followups.rules_problem(field, url)
    if problem is not None:
        problems.append(f"followups: {problem}")
    return {"reference_field": field, "webhook_url": url}


def _resolve_links(
    db: Session, workspace_id: int, document: dict[str, Any]
) -> list[str]:
    """Put the studies and audit projects each touchpoint names in its entry."""
    studies = {
        s.slug: s.id
        for s in db.exec(select(Study).where(Study.workspace_id == workspace_id))
    }
    projects = {
        p.name: p.id
        for p in db.exec(
            select(AuditProject).where(
                AuditProject.workspace_id == workspace_id,
                col(AuditProject.study_id).is_(None),
            )
        )
    }
    problems: list[str] = []
    for i, stage in enumerate(document["stages"]):
        for j, point in enumerate(stage.get("touchpoints", [])):
            at = f"stages[{i}].touchpoints[{j}]"
            point["study_ids"] = []
            for k, slug in enumerate(point["studies"]):
                if slug not in studies:
                    problems.append(
                        f"{at}.studies[{k}]: no study {slug!r} in this workspace"
                    )
                else:
                    point["study_ids"].append(studies[slug])
            point["project_ids"] = []
            for k, name in enumerate(point["audit_projects"]):
                if name not in projects:
                    problems.append(
                        f"{at}.audit_projects[{k}]: no audit project {name!r} in "
                        "this workspace"
                    )
                else:
                    point["project_ids"].append(projects[name])
    return problems


def _text(value: Any, where: str, problems: list[str], *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: needs a name (text)")
        return ""
    if len(value) > limit:
        problems.append(f"{where}: longer than {limit} characters")
    return value


def _id(value: Any, where: str, what: str, problems: list[str]) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or value < 1
    ):
        problems.append(
            f"{where}: a {what}'s number, as the downloaded file has it (leave the "
            f"id out for a new {what})"
        )


def _survey(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{where}: must be a mapping with blocks")
        return None
    unknown = sorted(set(value) - {"blocks", "open_question", "hidden_fields"})
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(unknown)}")
    blocks = value.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        problems.append(f"{where}.blocks: a list of {', '.join(BLOCKS)}")
        blocks = []
    wrong = [b for b in blocks if b not in BLOCKS]
    if wrong:
        listed = ", ".join(map(str, wrong))
        problems.append(f"{where}.blocks: {listed} not among {', '.join(BLOCKS)}")
    question = value.get("open_question", "")
    hidden = value.get("hidden_fields", [])
    if not isinstance(question, str):
        problems.append(f"{where}.open_question: must be text")
        question = ""
    if not isinstance(hidden, list) or not all(isinstance(h, str) for h in hidden):
        problems.append(f"{where}.hidden_fields: a list of names")
        hidden = []
    return {"blocks": blocks, "open_question": question, "hidden_fields": hidden}


def _widget(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{where}: must be a mapping with allowed_origins")
        return None
    settings = {k: v for k, v in value.items() if k != "allowed_origins"}
    raw = value.get("allowed_origins", [])
    origins: list[str] = []
    if not isinstance(raw, list):
        problems.append(f"{where}.allowed_origins: a list of origins")
    else:
        origins, wrong = widget_store.parse_origins(raw)
        problems += [f"{where}.allowed_origins: {p}" for p in wrong]
    problems += [f"{where}: {p}" for p in widget_store.settings_problems(settings)]
    return {"allowed_origins": origins, "settings": settings}


def _parse(text: str) -> tuple[dict[str, Any], list[str]]:
    if len(text) > MAX_CHARS:
        return {}, [f"the file is longer than {MAX_CHARS} characters"]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        return {}, [f"{line}not valid YAML ({getattr(exc, 'problem', exc)})"]
    if not isinstance(document, dict):
        return {}, ["the file must be a mapping with name and stages"]
    problems: list[str] = []
    _text(document.get("name"), "name", problems)
    stages = document.get("stages")
    if not isinstance(stages, list):
        problems.append("stages: a list of stages")
        stages = []
    for i, stage in enumerate(stages):
        where = f"stages[{i}]"
        if not isinstance(stage, dict):
            problems.append(f"{where}: a mapping with name and touchpoints")
            continue
        _text(stage.get("name"), f"{where}.name", problems)
        _id(stage.get("id"), f"{where}.id", "stage", problems)
        points = stage.get("touchpoints", [])
        if not isinstance(points, list):
            problems.append(f"{where}.touchpoints: a list of touchpoints")
            stage["touchpoints"] = []
            continue
        for j, point in enumerate(points):
            at = f"{where}.touchpoints[{j}]"
            if not isinstance(point, dict):
                problems.append(f"{at}: a mapping with name")
                continue
            _text(point.get("name"), f"{at}.name", problems)
            _id(point.get("id"), f"{at}.id", "touchpoint", problems)
            if not isinstance(point.get("enabled", True), bool):
                problems.append(f"{at}.enabled: true or false")
            point["survey"] = _survey(point.get("survey"), f"{at}.survey", problems)
            point["widget"] = _widget(point.get("widget"), f"{at}.widget", problems)
            point["studies"] = _names(point.get("studies"), f"{at}.studies", problems)
            point["audit_projects"] = _names(
                point.get("audit_projects"), f"{at}.audit_projects", problems
            )
    document["followups"] = _followups(document.get("followups"), problems)
    unknown = sorted(set(document) - {"name", "stages", "followups"})
    if unknown:
        problems.append(f"unknown keys {', '.join(map(str, unknown))}")
    return document, problems


def import_journey(db: Session, workspace_id: int, text: str, secret: str) -> CxJourney:
    """A new journey from a journey file; nothing is saved if a problem is found."""
    document, problems = _parse(text)
    if not problems:
        problems = _resolve_links(db, workspace_id, document)
    if problems:
        raise JourneyFileError(_with_lines(text, problems))
    stages = document["stages"]
    journey = store.create_journey(
        db, workspace_id, document["name"], [s["name"] for s in stages]
    )
    try:
        views = store.journey_view(db, journey).stages
        for view, stage in zip(views, stages, strict=True):
            assert view.stage.id is not None
            for point in stage.get("touchpoints", []):
                made = store.add_touchpoint(db, journey, view.stage.id, point["name"])
                survey = point.get("survey")
                if survey is not None:
                    store.save_survey(
                        db,
                        made,
                        survey["blocks"],
                        survey["open_question"],
                        ", ".join(survey["hidden_fields"]),
                        secret,
                    )
                found = point.get("widget")
                if found is not None:
                    widget_store.save_widget(
                        db, made, found["allowed_origins"], found["settings"]
                    )
                store.set_enabled(db, made, bool(point.get("enabled", True)))
                for study_id in point["study_ids"]:
                    ux_side.link(db, workspace_id, made, study_id=study_id)
                for project_id in point["project_ids"]:
                    ux_side.link(db, workspace_id, made, audit_project_id=project_id)
        rules = document.get("followups")
        if rules is not None:
            followups.save_settings(
                db, journey, rules["reference_field"], rules["webhook_url"]
            )
    except (
        store.JourneyError,
        widget_store.WidgetError,
        ux_side.LinkError,
        followups.FollowupError,
    ) as exc:
        # A survey the file describes cannot be made: take the journey back.
        db.rollback()
        db.delete(journey)
        db.commit()
        raise JourneyFileError([str(exc)]) from exc
    return journey


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a journey file changed, counted for the page that says so."""

    kept: int
    added: int
    removed: list[str]


def _match(
    db: Session, journey: CxJourney, document: dict[str, Any], *, surveys: bool
) -> tuple[dict[int, CxStage], dict[int, CxTouchpoint], list[str]]:
    """The journey's stages and touchpoints by id, and what keeps the file out.

    The file may have other problems already found: what is not a mapping or
    an id is left to those. ``surveys`` checks each survey as the store
    would, for a file without them.
    """
    view = store.journey_view(db, journey)
    stages = {v.stage.id or 0: v.stage for v in view.stages}
    points = {p.id or 0: p for v in view.stages for p in v.touchpoints}
    stage_names = {v.stage.id: v.stage.name for v in view.stages}
    problems: list[str] = []
    seen: dict[tuple[str, int], str] = {}

    def claim(what: str, found: Any, at: str, have: dict[int, Any]) -> None:
        if not isinstance(found, int) or isinstance(found, bool):
            return
        if found not in have:
            problems.append(
                f"{at}.id: no {what} {found} in this journey (leave the id out "
                f"for a new {what})"
            )
        elif (what, found) in seen:
            problems.append(
                f"{at}.id: {what} {found} is also at {seen[(what, found)]}; "
                "each appears once"
            )
        else:
            seen[(what, found)] = at

    for i, stage in enumerate(_mappings(document.get("stages"))):
        if stage is None:
            continue
        claim("stage", stage.get("id"), f"stages[{i}]", stages)
        for j, entry in enumerate(_mappings(stage.get("touchpoints"))):
            if entry is None:
                continue
            at = f"stages[{i}].touchpoints[{j}]"
            claim("touchpoint", entry.get("id"), at, points)
            survey = entry.get("survey")
            if surveys and survey is not None:
                try:
                    entry["survey_fields"] = store.survey_fields(
                        survey["blocks"],
                        survey["open_question"],
                        ", ".join(survey["hidden_fields"]),
                    )
                except store.JourneyError as exc:
                    problems.append(f"{at}.survey: {exc}")
    left_out = [p for i, p in points.items() if ("touchpoint", i) not in seen]
    if left_out:
        counts = dict(
            db.exec(
                select(CxResponse.touchpoint_id, func.count())
                .where(col(CxResponse.touchpoint_id).in_([p.id for p in left_out]))
                .group_by(col(CxResponse.touchpoint_id))
            ).all()
        )
        for point in left_out:
            count = counts.get(point.id or 0, 0)
            if count:
                problems.append(
                    f"touchpoint “{point.name}” ({stage_names[point.stage_id]}) has "
                    f"{count} answer{'' if count == 1 else 's'} but is not in the "
                    f"file: put it back with id: {point.id} (enabled: false pauses "
                    "it), or delete it and its answers on the journey page"
                )
    return stages, points, problems


def _mappings(value: Any) -> list[dict[str, Any] | None]:
    """The entries of a list, None for each that is not a mapping."""
    if not isinstance(value, list):
        return []
    return [v if isinstance(v, dict) else None for v in value]


def apply_journey(db: Session, journey: CxJourney, text: str, secret: str) -> Applied:
    """Make the journey what its file says; nothing is saved if a problem is found."""
    assert journey.id is not None
    document, problems = _parse(text)
    begin_write(db)
    try:
        if not problems:
            problems = _resolve_links(db, journey.workspace_id, document)
        stages, points, more = _match(db, journey, document, surveys=not problems)
        problems += more
        if problems:
            raise JourneyFileError(_with_lines(text, problems))
        applied = _apply(db, journey, document, stages, points, secret)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return applied


def _apply(
    db: Session,
    journey: CxJourney,
    document: dict[str, Any],
    stages: dict[int, CxStage],
    points: dict[int, CxTouchpoint],
    secret: str,
) -> Applied:
    assert journey.id is not None
    journey.name = " ".join(document["name"].split())
    db.add(journey)
    kept_stages: set[int] = set()
    kept: set[int] = set()
    added = 0
    for position, entry in enumerate(document["stages"]):
        stage = stages.get(entry.get("id") or 0) or CxStage(
            journey_id=journey.id, name=""
        )
        stage.name = " ".join(entry["name"].split())
        stage.position = position
        db.add(stage)
        db.flush()
        assert stage.id is not None
        kept_stages.add(stage.id)
        for place, found in enumerate(entry.get("touchpoints", [])):
            point = points.get(found.get("id") or 0)
            if point is None:
                added += 1
                point = CxTouchpoint(journey_id=journey.id, stage_id=stage.id, name="")
            point.stage_id = stage.id
            point.name = " ".join(found["name"].split())
            point.position = place
            point.enabled = bool(found.get("enabled", True))
            widget = found.get("widget")
            point.allowed_origins = widget["allowed_origins"] if widget else []
            point.widget = (
                {
                    **widget["settings"],
                    "trigger": str(
                        widget["settings"].get("trigger", widget_store.Trigger.delay)
                    ),
                }
                if widget
                else {}
            )
            db.add(point)
            db.flush()
            assert point.id is not None
            kept.add(point.id)
            if "survey_fields" in found:
                blocks, question, hidden = found["survey_fields"]
                store.put_survey(db, point, blocks, question, hidden, secret)
            else:
                survey = store.live_survey(db, point)
                if survey is not None:
                    survey.deleted_at = utcnow()
                    db.add(survey)
            _set_links(db, point, found["study_ids"], found["project_ids"])
    removed = [p for i, p in points.items() if i not in kept]
    for point in removed:
        db.delete(point)
    db.flush()
    for stage_id, stage in stages.items():
        if stage_id not in kept_stages:
            db.delete(stage)
    rules = document.get("followups") or {"reference_field": "", "webhook_url": ""}
    settings = db.get(CxFollowupSettings, journey.id)
    if settings is not None or any(rules.values()):
        settings = settings or CxFollowupSettings(journey_id=journey.id)
        settings.reference_field = rules["reference_field"]
        settings.webhook_url = rules["webhook_url"]
        db.add(settings)
    db.flush()
    return Applied(
        kept=len(kept) - added, added=added, removed=[p.name for p in removed]
    )


def _set_links(
    db: Session, point: CxTouchpoint, study_ids: list[int], project_ids: list[int]
) -> None:
    """Aim exactly these studies and audit projects at the touchpoint.

    Links already there are kept as they are (with the theme a study was
    started from).
    """
    studies, projects = ux_side.links_of(db, point.id or 0)
    have_studies = {study.id: found for found, study in studies}
    have_projects = {project.id: found for found, project in projects}
    for study_id, found in have_studies.items():
        if study_id not in study_ids:
            db.delete(found)
    for project_id, found in have_projects.items():
        if project_id not in project_ids:
            db.delete(found)
    for study_id in dict.fromkeys(study_ids):
        if study_id not in have_studies:
            db.add(CxTouchpointLink(touchpoint_id=point.id or 0, study_id=study_id))
    for project_id in dict.fromkeys(project_ids):
        if project_id not in have_projects:
            db.add(
                CxTouchpointLink(
                    touchpoint_id=point.id or 0, audit_project_id=project_id
                )
            )
