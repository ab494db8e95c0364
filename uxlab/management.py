"""What a researcher does to their own studies: create, edit, publish, delete, watch.

Every function takes a ``Session`` and works on a study already checked to belong
to the researcher (:func:`owned_study`), so the web layer stays thin and tests can
call these directly. Writes start with :func:`uxlab.db.begin_write` (the
database's write lock, from one app process or several), re-read the study
under that lock before deciding anything, and commit once at the end.

Status changes follow :data:`TRANSITIONS`::

    draft --publish--> live --close--> closed
                        ^                 |
                        +-----reopen------+
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from uxlab.db import begin_write
from uxlab.errors import NotFoundError, StudyFileError, StudyStateError, UxlabError
from uxlab.invites import (
    create_invites,
    invite_token,
    open_invite,
    regenerate_open_invite,
    revoke_invite,
    single_invites,
)
from uxlab.models import (
    Event,
    Invite,
    InviteKind,
    Outcome,
    Participant,
    Researcher,
    Response,
    Study,
    StudyStatus,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.studies import (
    StudySpec,
    get_study_by_ref,
    import_study,
    parse_study,
)
from uxlab.workspaces import record

__all__ = [
    "TRANSITIONS",
    "InviteRow",
    "StudyEdit",
    "StudyOverview",
    "StudyProgress",
    "TaskEdit",
    "TaskProgress",
    "available_templates",
    "change_status",
    "create_study_from_template",
    "create_study_from_text",
    "delete_study",
    "edit_study",
    "invite_rows",
    "invite_state",
    "invites_csv",
    "make_invites",
    "new_open_link",
    "owned_invite",
    "owned_study",
    "questionnaire_names",
    "revoke_study_invite",
    "study_overview",
    "study_progress",
    "study_tasks",
]

log = logging.getLogger(__name__)

#: action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[StudyStatus], StudyStatus]] = {
    "publish": (frozenset({StudyStatus.draft}), StudyStatus.live),
    "close": (frozenset({StudyStatus.live}), StudyStatus.closed),
    "reopen": (frozenset({StudyStatus.closed}), StudyStatus.live),
}

MAX_STUDY_TEXT = 200_000


# ------------------------------------------------------------------ finding


def owned_study(session: Session, slug: str, owner_id: int) -> Study:
    """The researcher's study with this slug; anyone else's is not found."""
    return get_study_by_ref(session, slug, owner_id=owner_id)


def owned_invite(session: Session, study: Study, invite_id: int) -> Invite:
    """One of this study's invites; an invite of any other study is not found."""
    invite = session.get(Invite, invite_id)
    if invite is None or invite.study_id != study.id:
        raise NotFoundError(f"no invite {invite_id} in study {study.slug!r}")
    return invite


def study_tasks(session: Session, study: Study) -> list[Task]:
    """The study's tasks in order."""
    return list(
        session.exec(
            select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
        ).all()
    )


def questionnaire_names(settings: Mapping[str, Any], key: str) -> list[str]:
    """Readable names of the questionnaires listed under ``key`` in Study.settings.

    >>> questionnaire_names({"questionnaires": ["sus", {"type": "likert", "id": "trust",
    ...     "title": "Trust"}]}, "questionnaires")
    ['SUS', 'Trust']
    """
    names = []
    for entry in settings.get(key) or []:
        if isinstance(entry, str):
            names.append(entry.replace("_", "-").upper())
        elif isinstance(entry, Mapping):
            name = entry.get("title") or entry.get("id") or entry.get("type") or "?"
            names.append(str(name))
    return names


# ----------------------------------------------------------------- creating


def available_templates(folder: Path) -> list[tuple[str, StudySpec]]:
    """The valid study files in ``folder`` by file name; broken ones are skipped."""
    found: list[tuple[str, StudySpec]] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            found.append((path.name, parse_study(text, path.name)))
        except (OSError, UnicodeDecodeError, StudyFileError) as exc:
            log.warning("skipping study template %s: %s", path, exc)
    return found


def _owner(session: Session, owner_id: int) -> Researcher:
    owner = session.get(Researcher, owner_id)
    if owner is None:
        raise NotFoundError(f"no researcher {owner_id}")
    return owner


def create_study_from_text(
    session: Session,
    text: str,
    *,
    owner_id: int,
    workspace_id: int | None = None,
    source: str = "<study>",
) -> Study:
    """Validate study file text and create a draft study from it, or change nothing.

    The study goes into ``workspace_id`` (default: the owner's personal one).
    """
    if len(text) > MAX_STUDY_TEXT:
        raise StudyFileError(
            source, [f"the file is longer than {MAX_STUDY_TEXT} characters"]
        )
    spec = parse_study(text, source)
    begin_write(session)
    try:
        owner = _owner(session, owner_id)
        return import_study(
            session, spec, owner=owner, source_text=text, workspace_id=workspace_id
        )
    except BaseException:
        session.rollback()
        raise


def create_study_from_template(
    session: Session,
    folder: Path,
    name: str,
    *,
    owner_id: int,
    workspace_id: int | None = None,
) -> Study:
    """Create a draft study from the shipped template called ``name``."""
    names = {template_name for template_name, _ in available_templates(folder)}
    if name not in names:
        raise NotFoundError(
            f"no study template {name!r}; choose one of {sorted(names)}"
        )
    text = (folder / name).read_text(encoding="utf-8")
    return create_study_from_text(
        session, text, owner_id=owner_id, workspace_id=workspace_id, source=name
    )


# ------------------------------------------------------------------ editing


@dataclass(frozen=True, slots=True)
class TaskEdit:
    title: str
    prompt: str
    start_url: str | None
    time_limit_s: int | None


@dataclass(frozen=True, slots=True)
class StudyEdit:
    title: str
    description: str
    consent: str
    #: By task id; tasks left out are not changed.
    tasks: Mapping[int, TaskEdit] = field(default_factory=dict)


def _check_edit(edit: StudyEdit, tasks: Mapping[int, Task]) -> list[str]:
    problems = []
    if not edit.title.strip():
        problems.append("title: required")
    elif len(edit.title) > 200:
        problems.append("title: at most 200 characters")
    for text_name in ("description", "consent"):
        if len(getattr(edit, text_name)) > MAX_STUDY_TEXT:
            problems.append(f"{text_name}: at most {MAX_STUDY_TEXT} characters")
    if not edit.consent.strip():
        problems.append("consent: required (participants must know what they agree to)")
    for task_id, task_edit in edit.tasks.items():
        if task_id not in tasks:
            problems.append(f"task {task_id}: not a task of this study")
            continue
        where = f"task {tasks[task_id].key}"
        if not task_edit.title.strip():
            problems.append(f"{where} title: required")
        elif len(task_edit.title) > 200:
            problems.append(f"{where} title: at most 200 characters")
        url = task_edit.start_url
        if url is not None and not url.startswith(("http://", "https://", "/")):
            problems.append(
                f"{where} start URL: must start with http://, https:// or /"
            )
        limit = task_edit.time_limit_s
        if limit is not None and not 0 < limit <= 24 * 3600:
            problems.append(
                f"{where} time limit: a whole number of seconds, 1 to 86400"
            )
    return problems


def _same_text(before: str | None, after: str | None) -> bool:
    """Equal but for line endings and whitespace around the whole text.

    >>> _same_text("Hello\\nworld\\n", "Hello\\r\\nworld")
    True
    """

    def norm(text: str | None) -> str:
        return (text or "").replace("\r\n", "\n").strip()

    return norm(before) == norm(after)


def edit_study(session: Session, study: Study, edit: StudyEdit) -> list[str]:
    """Apply an edit to a draft or live study; returns what changed.

    A live study takes text edits only (titles, description, consent, prompts):
    changing where or how long a task runs would make its data incomparable. A
    new consent text bumps ``consent_version``. Nothing is written on error.
    """
    begin_write(session)
    try:
        session.expire_all()  # the study and its tasks as they are now
        if study.status == StudyStatus.closed:
            raise StudyStateError("a closed study cannot be edited; reopen it first")
        tasks = {t.id: t for t in study_tasks(session, study) if t.id is not None}
        problems = _check_edit(edit, tasks)
        if problems:
            raise UxlabError("; ".join(problems))
        changed = []
        for name in ("title", "description", "consent"):
            # A form sends CRLF and drops a study file's final newline: only a
            # real change to the text counts (and bumps the consent version).
            if _same_text(getattr(study, name), getattr(edit, name)):
                continue
            setattr(study, name, getattr(edit, name))
            changed.append(name)
        if "consent" in changed:
            study.consent_version += 1
        for task_id, task_edit in edit.tasks.items():
            task = tasks[task_id]
            for name in ("title", "prompt", "start_url", "time_limit_s"):
                before, after = getattr(task, name), getattr(task_edit, name)
                if before == after or (
                    isinstance(before, str)
                    and isinstance(after, str)
                    and _same_text(before, after)
                ):
                    continue
                if study.status != StudyStatus.draft and name in (
                    "start_url",
                    "time_limit_s",
                ):
                    raise StudyStateError(
                        f"task {task.key}: {name} cannot change once the study is live"
                    )
                setattr(task, name, getattr(task_edit, name))
                changed.append(f"task {task.key} {name}")
            session.add(task)
        session.add(study)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return changed


# -------------------------------------------------------- status and delete


def change_status(
    session: Session, study: Study, action: str, *, by: int | None = None
) -> Study:
    """Publish, close or reopen a study, if its current status allows it.

    The change goes into the workspace's activity log as done by ``by``.
    """
    if action not in TRANSITIONS:
        raise ValueError(f"action ({action!r}) must be one of {sorted(TRANSITIONS)}")
    allowed_from, to = TRANSITIONS[action]
    begin_write(session)
    try:
        session.refresh(study)
        if study.status not in allowed_from:
            raise StudyStateError(
                f"a {study.status} study cannot be {_past(action)}; "
                f"only a {' or '.join(sorted(allowed_from))} one can"
            )
        study.status = to
        now = utcnow()
        if action == "publish":
            study.published_at = now
        elif action == "close":
            study.closed_at = now
        else:
            study.closed_at = None
        session.add(study)
        record(session, study.workspace_id, by, _past(action), study.slug)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return study


def _past(action: str) -> str:
    return {"publish": "published", "close": "closed", "reopen": "reopened"}[action]


def delete_study(session: Session, study: Study, *, by: int | None = None) -> None:
    """Delete a draft study and everything under it; other statuses are refused."""
    begin_write(session)
    try:
        session.refresh(study)
        if study.status != StudyStatus.draft:
            raise StudyStateError(
                f"only draft studies can be deleted; this one is {study.status} "
                "(close it instead, to keep its data)"
            )
        people = select(Participant.id).where(Participant.study_id == study.id)
        attempts = select(TaskAttempt.id).where(
            col(TaskAttempt.participant_id).in_(people)
        )
        session.exec(delete(Event).where(col(Event.attempt_id).in_(attempts)))
        session.exec(delete(Event).where(col(Event.participant_id).in_(people)))
        session.exec(delete(Response).where(col(Response.participant_id).in_(people)))
        session.exec(
            delete(TaskAttempt).where(col(TaskAttempt.participant_id).in_(people))
        )
        session.exec(delete(Participant).where(col(Participant.study_id) == study.id))
        session.exec(delete(Invite).where(col(Invite.study_id) == study.id))
        session.exec(delete(Task).where(col(Task.study_id) == study.id))
        session.exec(delete(Study).where(col(Study.id) == study.id))
        record(session, study.workspace_id, by, "deleted", study.slug)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.expunge(study)


# ------------------------------------------------------------------ invites


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: int
    #: 1, 2, 3... within the study, in the order the links were made.
    number: int
    label: str
    token: str
    state: str
    created_at: datetime
    expires_at: datetime | None
    used_at: datetime | None


def invite_state(invite: Invite, now: datetime | None = None) -> str:
    """ "revoked", "used", "expired" or "unused" (in that order of precedence)."""
    now = now or utcnow()
    if invite.revoked_at is not None:
        return "revoked"
    if invite.used_at is not None:
        return "used"
    expires = invite.expires_at
    if expires is not None:
        if expires <= now:
            return "expired"
    return "unused"


def invite_rows(session: Session, study: Study, secret: str) -> list[InviteRow]:
    """The study's single-use invites with their link tokens and states."""
    now = utcnow()
    rows = []
    for number, invite in enumerate(single_invites(session, study), start=1):
        assert invite.id is not None
        rows.append(
            InviteRow(
                id=invite.id,
                number=number,
                label=invite.label,
                token=invite_token(invite, secret),
                state=invite_state(invite, now),
                created_at=invite.created_at,
                expires_at=invite.expires_at,
                used_at=invite.used_at,
            )
        )
    return rows


def make_invites(
    session: Session,
    study: Study,
    count: int,
    secret: str,
    *,
    label: str = "",
    ttl_days: int | None = 60,
) -> list[Invite]:
    """Make ``count`` single-use invites for a study that is not closed."""
    begin_write(session)
    try:
        session.refresh(study)  # it may have been closed since it was read
        if study.status == StudyStatus.closed:
            raise StudyStateError(
                "a closed study takes no new participants; reopen it first"
            )
        return create_invites(
            session, study, count, secret, label=label.strip(), ttl_days=ttl_days
        )
    except BaseException:
        session.rollback()
        raise


def revoke_study_invite(session: Session, study: Study, invite_id: int) -> Invite:
    """Revoke one of the study's invites (participants already in keep going)."""
    begin_write(session)
    try:
        invite = owned_invite(session, study, invite_id)
        session.refresh(invite)  # it may have been revoked since it was read
        if invite.revoked_at is not None:
            raise StudyStateError("that invite is already revoked")
        revoke_invite(session, invite)
    except BaseException:
        session.rollback()
        raise
    return invite


def new_open_link(session: Session, study: Study, secret: str) -> Invite:
    """Replace the study's open link with a new one; the old link stops working."""
    begin_write(session)
    try:
        return regenerate_open_invite(session, study, secret)
    except BaseException:
        session.rollback()
        raise


def invites_csv(rows: Iterable[InviteRow], link: Callable[[str], str]) -> str:
    """The invites as CSV, one link a row; text cells cannot run as formulas."""
    from uxlab.export import neutralise

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["invite", "label", "link", "state", "created_at", "expires_at", "used_at"]
    )
    for row in rows:
        writer.writerow(
            [
                row.number,
                neutralise(row.label),
                link(row.token),
                row.state,
                row.created_at.isoformat(),
                row.expires_at.isoformat() if row.expires_at else "",
                row.used_at.isoformat() if row.used_at else "",
            ]
        )
    return out.getvalue()


# ----------------------------------------------------------------- progress


@dataclass(frozen=True, slots=True)
class TaskProgress:
    task_id: int
    key: str
    title: str
    #: Attempts by outcome, every Outcome present (0 when none).
    outcomes: dict[str, int]
    #: Attempts started and not yet judged.
    in_progress: int

    @property
    def attempts(self) -> int:
        return sum(self.outcomes.values()) + self.in_progress


@dataclass(frozen=True, slots=True)
class StudyProgress:
    #: Participants who opened a link (a participant row exists).
    started: int
    consented: int
    finished: int
    declined: int
    tasks: list[TaskProgress]
    #: Participants who withdrew after consenting (their data is deleted).
    withdrawn: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as served by the progress endpoint."""
        return {
            "started": self.started,
            "consented": self.consented,
            "finished": self.finished,
            "declined": self.declined,
            "withdrawn": self.withdrawn,
            "tasks": [
                {
                    "id": t.task_id,
                    "key": t.key,
                    "title": t.title,
                    "attempts": t.attempts,
                    "in_progress": t.in_progress,
                    "outcomes": t.outcomes,
                }
                for t in self.tasks
            ],
        }


def study_progress(session: Session, study: Study) -> StudyProgress:
    """Counts of participants by stage and of task attempts by outcome."""
    started, consented, finished = session.exec(
        select(
            func.count(col(Participant.id)),
            func.count(col(Participant.consented_at)),
            func.count(col(Participant.finished_at)),
        ).where(Participant.study_id == study.id, col(Participant.preview).is_(False))
    ).one()
    counts: dict[tuple[int, str | None], int] = {}
    query = (
        select(
            TaskAttempt.task_id, TaskAttempt.outcome, func.count(col(TaskAttempt.id))
        )
        .join(Task, col(Task.id) == col(TaskAttempt.task_id))
        .join(Participant, col(Participant.id) == col(TaskAttempt.participant_id))
        .where(Task.study_id == study.id, col(TaskAttempt.started_at).is_not(None))
        .where(col(Participant.preview).is_(False))
        .group_by(col(TaskAttempt.task_id), col(TaskAttempt.outcome))
    )
    for task_id, outcome, n in session.exec(query).all():
        counts[(task_id, str(outcome) if outcome is not None else None)] = n
    tasks = []
    for task in study_tasks(session, study):
        assert task.id is not None
        tasks.append(
            TaskProgress(
                task_id=task.id,
                key=task.key,
                title=task.title,
                outcomes={str(o): counts.get((task.id, str(o)), 0) for o in Outcome},
                in_progress=counts.get((task.id, None), 0),
            )
        )
    return StudyProgress(
        started=started,
        consented=consented,
        finished=finished,
        declined=study.declined_count,
        tasks=tasks,
        withdrawn=study.withdrawn_count or 0,
    )


# --------------------------------------------------------------- study page


@dataclass(frozen=True, slots=True)
class StudyOverview:
    study: Study
    tasks: list[Task]
    questionnaires: list[str]
    after_each_task: list[str]
    open_token: str
    invites: list[InviteRow]
    progress: StudyProgress


def study_overview(
    session: Session, study: Study, secret: str, *, links: bool = True
) -> StudyOverview:
    """Everything the study page shows (creates the open link on first view).

    With ``links=False`` (a viewer's page) participant links are left out, and
    none is made.
    """
    link = session.exec(
        select(Invite).where(
            Invite.study_id == study.id,
            Invite.kind == InviteKind.open,
            col(Invite.revoked_at).is_(None),
        )
    ).first()
    if not links:
        link = None
    elif link is None and study.status != StudyStatus.closed:
        # Only the first view writes, so page views do not queue for the write lock.
        begin_write(session)
        link = open_invite(session, study, secret)
    return StudyOverview(
        study=study,
        tasks=study_tasks(session, study),
        questionnaires=questionnaire_names(study.settings, "questionnaires"),
        after_each_task=questionnaire_names(study.settings, "after_each_task"),
        open_token=invite_token(link, secret) if link is not None else "",
        invites=invite_rows(session, study, secret) if links else [],
        progress=study_progress(session, study),
    )
