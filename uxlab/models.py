"""Every table uxlab stores, and the payloads its JSON API takes and gives.

Tables are ``X(table=True)``; timestamps are aware datetimes in UTC.
Participant, invite and
attempt tokens are never stored: only their SHA-256 hashes are.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.sql.expression import false as sa_false
from sqlmodel import Field, SQLModel

__all__ = [
    "ActivityEntry",
    "AuditProject",
    "AuditProjectRun",
    "AuditRunFinding",
    "AuditRunScreenshot",
    "CardSort",
    "CardSortName",
    "PersonalToken",
    "RunStatus",
    "Event",
    "FiveSecondAnswer",
    "FiveSecondView",
    "Invite",
    "InviteKind",
    "JudgedBy",
    "ModeratedSession",
    "Outcome",
    "Membership",
    "Participant",
    "ParticipantSession",
    "RateLimitCounter",
    "Researcher",
    "Response",
    "Screenshot",
    "SessionAction",
    "SessionMove",
    "SessionNote",
    "SessionObserver",
    "Study",
    "StudyMode",
    "StudyStatus",
    "Task",
    "TaskAttempt",
    "Workspace",
    "WorkspaceInvite",
    "WorkspaceRole",
    "utcnow",
]


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class StudyMode(enum.StrEnum):
    unmoderated = "unmoderated"
    moderated = "moderated"


class StudyStatus(enum.StrEnum):
    draft = "draft"
    live = "live"
    closed = "closed"


class Outcome(enum.StrEnum):
    success = "success"
    partial = "partial"
    failure = "failure"
    abandoned = "abandoned"
    timed_out = "timed_out"
    skipped = "skipped"
    #: Said done, but no recorder data shows whether the goal was reached.
    unverified = "unverified"


class JudgedBy(enum.StrEnum):
    self = "self"
    auto = "auto"
    moderator = "moderator"


class InviteKind(enum.StrEnum):
    open = "open"
    single = "single"


class WorkspaceRole(enum.StrEnum):
    """A member's role in a workspace; see :data:`uxlab.workspaces.NEEDS`."""

    viewer = "viewer"
    editor = "editor"
    owner = "owner"


class Researcher(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    name: str = Field(default="", max_length=200)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    #: Part of every login cookie; raised on logout and on a new password, so
    #: every cookie issued before no longer logs anyone in.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Workspace(SQLModel, table=True):
    """A team's studies; every study belongs to one, every member has a role."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=80)
    name: str = Field(max_length=200)
    #: Made for one researcher when their account was; never shared by default.
    personal: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "researcher_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", index=True, ondelete="CASCADE"
    )
    researcher_id: int = Field(
        foreign_key="researcher.id", index=True, ondelete="CASCADE"
    )
    role: WorkspaceRole
    created_at: datetime = Field(default_factory=utcnow)


class WorkspaceInvite(SQLModel, table=True):
    """An emailed invitation to join a workspace; only the token's hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", index=True, ondelete="CASCADE"
    )
    email: str = Field(max_length=254)
    role: WorkspaceRole
    token_hash: str = Field(index=True, unique=True, max_length=64)
    invited_by: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None


class ActivityEntry(SQLModel, table=True):
    """Who did what in a workspace, and when (published, exported, invited ...)."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", index=True, ondelete="CASCADE"
    )
    researcher_id: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    #: "published", "closed", "exported", "invited", "role_changed" ...
    action: str = Field(max_length=40)
    #: What it was done to: a study's slug, a member's email.
    subject: str = Field(default="", max_length=254)
    detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    at: datetime = Field(default_factory=utcnow)


class Study(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: The researcher who created the study.
    researcher_id: int = Field(foreign_key="researcher.id", index=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    slug: str = Field(index=True, unique=True, max_length=80)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    mode: StudyMode = Field(default=StudyMode.unmoderated)
    status: StudyStatus = Field(default=StudyStatus.draft)
    consent: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: Bumped whenever the consent text changes; stored with each consent given.
    consent_version: int = 1
    #: Everything in the study file besides the columns above (questionnaires,
    #: task order, variants, allowed origins, moderation tags ...).
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    #: The study file as written, kept verbatim.
    source_yaml: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: Participants who declined consent: a count, nothing else about them.
    declined_count: int = 0
    #: Participants who withdrew after consenting; their data is deleted.
    withdrawn_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    closed_at: datetime | None = None


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("study_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=80)
    position: int
    title: str = Field(max_length=200)
    prompt: str = Field(default="", sa_column=Column(Text, nullable=False))
    start_url: str | None = None
    #: "url_matches", "element", "self_report" or "first_click".
    success_kind: str = "self_report"
    #: The regex, CSS selector, or (first_click) a JSON region; "" for self_report.
    success_value: str = Field(default="", sa_column=Column(Text, nullable=False))
    time_limit_s: int | None = None
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    kind: InviteKind = InviteKind.single
    #: Random salt from which the link's token is derived (see uxlab.invites).
    nonce: str = Field(max_length=64)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    used_at: datetime | None = None
    revoked_at: datetime | None = None


class Participant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    invite_id: int | None = Field(default=None, foreign_key="invite.id")
    #: Hash of the participant's own token, held in their session cookie.
    token_hash: str = Field(index=True, unique=True, max_length=64)
    #: Public, non-secret reference used in exports and researcher pages.
    code: str = Field(index=True, unique=True, max_length=16)
    label: str = Field(default="", max_length=200)
    variant: str | None = Field(default=None, max_length=40)
    #: Task ids in the order this participant sees them.
    task_order: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    consent_version: int | None = None
    consented_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: Share of steps completed, 0-100.
    progress: int = 0
    #: Where the participant is: "consent", "task:<i>", "seq:<i>", "q:<name>", "done".
    step: str = Field(default="consent", max_length=80)
    user_agent: str = Field(default="", max_length=400)
    excluded: bool = False
    exclusion_reason: str = Field(default="", max_length=400)
    #: A researcher previewing the study: never counted in results or exports.
    preview: bool = Field(default=False, index=True)
    #: Moderated studies: which step the moderator has set (None = self-paced).
    moderator_step: str | None = Field(default=None, max_length=80)


class ParticipantSession(SQLModel, table=True):
    """A browser taking part in a study, known by the random id in its cookie.

    Only the id's hash is stored. The participant's own token (for the resume
    link shown on their pages) is kept encrypted under a key derived from the id,
    so the database alone cannot reveal it and the cookie never holds it.
    """

    __table_args__ = (UniqueConstraint("session_hash", "study_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(index=True, max_length=64)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    sealed_token: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class TaskAttempt(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("participant_id", "task_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    position: int
    #: Hash of the token the recorder carries onto the target site.
    token_hash: str | None = Field(default=None, index=True, unique=True, max_length=64)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    #: The participant's browser's own measurement of the attempt, in ms.
    client_duration_ms: int | None = None
    #: The browser's duration was far from the server's (a clock changed):
    #: the server's is stored in client_duration_ms instead.
    client_clock_disagreed: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )
    outcome: Outcome | None = None
    judged_by: JudgedBy | None = None
    #: The participant's own word: True "I'm done", False "I give up", None
    #: when the attempt ended otherwise (criterion met, time limit, moderator).
    self_reported: bool | None = None
    outcome_reason: str = Field(default="", max_length=1000)
    #: Client time of the event that ended the attempt (auto-judged success).
    outcome_event_at: datetime | None = None
    #: Recorder events received again after they were stored (resends absorbed).
    duplicate_events: int = 0
    #: Recorder events refused by the ingest API (invalid or spoofed).
    rejected_events: int = 0

    @property
    def duration_s(self) -> float | None:
        """Server-measured time on task in seconds."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class Response(SQLModel, table=True):
    """One answer to one questionnaire item."""

    __table_args__ = (
        UniqueConstraint("participant_id", "questionnaire", "scope", "item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    #: Questionnaire id from the study file ("sus", "seq", "nps", or a custom id).
    questionnaire: str = Field(max_length=80)
    #: "study" for end-of-study questionnaires, "task:<task id>" for per-task ones.
    scope: str = Field(default="study", max_length=40)
    task_id: int | None = Field(default=None, foreign_key="task.id")
    item: str = Field(max_length=80)
    value_num: float | None = None
    value_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: datetime = Field(default_factory=utcnow)
    #: The questionnaire was left with items unanswered: a moderator moved the
    #: participant on before they submitted it. Kept, shown, never scored.
    partial: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )


class Event(SQLModel, table=True):
    """One thing the recorder saw, stored exactly once by its client-made id."""

    __table_args__ = (Index("ix_event_attempt_seq", "attempt_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    attempt_id: int | None = Field(
        default=None, foreign_key="taskattempt.id", ondelete="CASCADE"
    )
    type: str = Field(max_length=40)
    seq: int = 0
    client_ts: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    url: str = Field(default="", max_length=2000)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    #: The browser tab or device that numbered ``seq`` ("" from old clients):
    #: two tabs of one attempt each count from 1.
    recording: str = Field(
        default="", max_length=64, sa_column_kwargs={"server_default": ""}
    )


class ModeratedSession(SQLModel, table=True):
    """One scheduled session of a moderated study, run live by its researcher.

    Its participant is whoever uses the session's single-use invite
    (``Participant.invite_id == invite_id``). ``version`` goes up by one with
    every change the moderator or an observer makes, so a client can tell a
    newer state from an older one.
    """

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    invite_id: int = Field(
        foreign_key="invite.id", unique=True, index=True, ondelete="CASCADE"
    )
    label: str = Field(default="", max_length=200)
    scheduled_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    #: The session clock's zero: the moderator's first action or note.
    started_at: datetime | None = None
    ended_at: datetime | None = None
    version: int = 0
    #: When the participant's live page last reached the server (its stream
    #: or a poll): the console says whether that page is open.
    participant_seen_at: datetime | None = None


class SessionObserver(SQLModel, table=True):
    """A read-only link to one session; its notes are its own to edit."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        foreign_key="moderatedsession.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(default="Observer", max_length=200)
    #: Random salt from which the link's token is derived (see uxlab.moderation).
    nonce: str = Field(max_length=64)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class SessionNote(SQLModel, table=True):
    """A note typed during a session, stored once by its client-made id."""

    __table_args__ = (UniqueConstraint("session_id", "note_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        foreign_key="moderatedsession.id", index=True, ondelete="CASCADE"
    )
    note_id: str = Field(max_length=64)
    #: "moderator" or "observer".
    author_kind: str = Field(max_length=20)
    researcher_id: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    observer_id: int | None = Field(
        default=None, foreign_key="sessionobserver.id", ondelete="CASCADE"
    )
    author_name: str = Field(default="", max_length=200)
    tag: str = Field(max_length=40)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    task_id: int | None = Field(
        default=None, foreign_key="task.id", ondelete="SET NULL"
    )
    #: Milliseconds since the session started, when the note was typed.
    session_ms: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
    #: 1 when created, one more with every edit or the deletion.
    version: int = 1


class SessionAction(SQLModel, table=True):
    """A moderator's control action, applied once by its client-made id."""

    __table_args__ = (UniqueConstraint("session_id", "action_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        foreign_key="moderatedsession.id", index=True, ondelete="CASCADE"
    )
    action_id: str = Field(max_length=64)
    #: "start", "outcome", "next" or "end".
    kind: str = Field(max_length=20)
    task_id: int | None = Field(
        default=None, foreign_key="task.id", ondelete="SET NULL"
    )
    outcome: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=1000)
    #: The participant's step after the action.
    step: str | None = Field(default=None, max_length=80)
    #: Whether the action changed anything (a stale "next" does not).
    applied: bool = True
    session_ms: int = 0
    at: datetime = Field(default_factory=utcnow)


class SessionMove(SQLModel, table=True):
    """A participant's own move in a moderated session, stored as it happens.

    The session's timeline shows it with the participant as its actor.
    """

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        foreign_key="moderatedsession.id", index=True, ondelete="CASCADE"
    )
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    #: "task_started", "task_done", "task_gave_up", "first_click", "answered"
    #: (a questionnaire page submitted) or "finished".
    kind: str = Field(max_length=20)
    #: The step the participant made the move on.
    step: str = Field(max_length=80)
    task_id: int | None = Field(
        default=None, foreign_key="task.id", ondelete="SET NULL"
    )
    at: datetime = Field(default_factory=utcnow)


class RateLimitCounter(SQLModel, table=True):
    """One rate limit's count in its current window (see uxlab.ratelimit).

    Every app process counts here, so a limit holds across processes and hosts.
    """

    #: The limit and whom it counts, as Flask-Limiter names them.
    key: str = Field(primary_key=True, max_length=400)
    count: int = 0
    #: When the window ends, in seconds since the epoch (the clock the rate
    #: limiter itself reads); a count past it no longer counts.
    expires_at: float = Field(index=True)


class Screenshot(SQLModel, table=True):
    """A page screenshot a heatmap is drawn over, shared by every app process.

    Kept in the database rather than on one host's disk, so every process and
    host of a team server draws a page's heatmap over the same picture, and
    Chromium is started once per page and width, not once per host.
    """

    #: SHA-256 of the URL, width and height, shortened (see uxlab.heatmaps).
    key: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=2000)
    width: int
    height: int
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    taken_at: datetime = Field(default_factory=utcnow)


class RunStatus(enum.StrEnum):
    """Where an audit project's run is; the last four are final."""

    queued = "queued"
    running = "running"
    passed = "passed"
    failed = "failed"
    error = "error"
    cancelled = "cancelled"


class AuditProject(SQLModel, table=True):
    """An audit script a workspace replays on demand, on a schedule or from CI."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(max_length=200)
    #: The audit script's YAML, exactly as the researcher wrote it.
    script_yaml: str = Field(sa_column=Column(Text, nullable=False))
    #: Counts up each time the script is saved changed; runs record it.
    script_version: int = 1
    base_url: str = Field(max_length=2000)
    #: ``fail_on`` (a severity or "none") and ``perf_regression_pct``.
    thresholds: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    #: Cron expression (five fields) read in ``timezone``; None: no schedule.
    schedule: str | None = Field(default=None, max_length=120)
    timezone: str = Field(default="UTC", max_length=64)
    #: Slots before this time never fire (set when the schedule is set).
    schedule_since: datetime | None = None
    retention_days: int = 90
    #: Runs of this project that may run at once, across all workers.
    concurrency: int = 1
    #: A run still going after this many seconds is stopped and ends as "error".
    timeout_seconds: int = 900
    #: SHA-256 of the secret in the badge's URL.
    badge_token_hash: str = Field(index=True, unique=True, max_length=64)
    #: SHA-256 of the token CI uploads runs with; None: uploads are off.
    upload_token_hash: str | None = Field(default=None, max_length=64)
    #: Where a regression is POSTed as JSON (Slack-compatible); None: nowhere.
    webhook_url: str | None = Field(default=None, max_length=2000)
    created_by: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow)
    #: The study this project pre-flights (one per study, not listed among the
    #: workspace's projects); None for an ordinary audit project.
    study_id: int | None = Field(
        default=None, foreign_key="study.id", unique=True, ondelete="CASCADE"
    )


class AuditProjectRun(SQLModel, table=True):
    """One replay of a project's script, queued, running or finished.

    A worker owns a running run while ``lease_until`` is in the future and
    ``attempts`` is the attempt it claimed; every write it makes names both.
    """

    __table_args__ = (
        UniqueConstraint("project_id", "slot"),
        UniqueConstraint("project_id", "client_run_id"),
        Index("ix_auditprojectrun_status_lease", "status", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        foreign_key="auditproject.id", index=True, ondelete="CASCADE"
    )
    status: RunStatus = RunStatus.queued
    #: The script as it was when the run was queued, and its version.
    script_yaml: str = Field(sa_column=Column(Text, nullable=False))
    script_version: int
    #: "person", "schedule" or "ci".
    started_by: str = Field(max_length=20)
    researcher_id: int | None = Field(
        default=None, foreign_key="researcher.id", ondelete="SET NULL"
    )
    #: The schedule's slot (UTC) this run is for; at most one run per slot.
    slot: datetime | None = None
    #: The id a CI upload names itself by, so a retried upload is one run.
    client_run_id: str | None = Field(default=None, max_length=100)
    base_url: str = Field(max_length=2000)
    #: Task runs (task × viewport) done and in all, and the page being audited.
    done: int = 0
    total: int = 0
    current_url: str | None = Field(default=None, max_length=2000)
    queued_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = None
    #: One line saying why the run ended as "error" or "cancelled".
    error: str | None = Field(default=None, max_length=2000)
    #: report.json's "summary"; the whole report.json (per page, per task).
    summary: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    results: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    #: report.html, with screenshots linked rather than embedded.
    report_html: str | None = Field(default=None, sa_column=Column(Text))
    screenshots_pruned_at: datetime | None = None
    #: Against the run before it: whether it regressed; None until compared.
    regression: bool | None = None
    #: How the regression's webhook and email went ("delivered", "failed: ...").
    notified: str | None = Field(default=None, max_length=2000)


class AuditRunFinding(SQLModel, table=True):
    """A finding of a run; diffs match them on rule, page and selector."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        foreign_key="auditprojectrun.id", index=True, ondelete="CASCADE"
    )
    rule: str = Field(max_length=200)
    severity: str = Field(max_length=20)
    page: str = Field(max_length=2000)
    viewport: str = Field(max_length=80)
    selector: str | None = Field(default=None, sa_column=Column(Text))
    message: str = Field(sa_column=Column(Text, nullable=False))


class AuditRunScreenshot(SQLModel, table=True):
    """A screenshot a run took; pruned after the project's retention period."""

    __table_args__ = (UniqueConstraint("run_id", "filename"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        foreign_key="auditprojectrun.id", index=True, ondelete="CASCADE"
    )
    filename: str = Field(max_length=200)
    mime: str = Field(max_length=40)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PersonalToken(SQLModel, table=True):
    """A researcher's token for the JSON API; it acts with their roles."""

    id: int | None = Field(default=None, primary_key=True)
    researcher_id: int = Field(
        foreign_key="researcher.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(default="", max_length=200)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class TreeAnswer(SQLModel, table=True):
    """A participant's answer to one tree-test task (``kind: tree_test``).

    ``path`` holds every node click in order as ``[node id, ms since the task
    was shown]``; ``chosen`` is the node chosen with "I'd find it here", None
    for "I'd give up". One row per participant and task.
    """

    __table_args__ = (
        UniqueConstraint(
            "participant_id", "task_key", name="uq_treeanswer_participant_task"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    #: The task's key in the study file (``Task.key``).
    task_key: str = Field(max_length=80)
    #: Where the task stood in this participant's order, from 1.
    position: int
    chosen: str | None = Field(default=None, max_length=20)
    path: list[Any] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: From the task being shown to the answer, as the browser measured it.
    seconds: float | None = None
    answered_at: datetime = Field(default_factory=utcnow)


# ----------------------------------------------------------------- card sorts
# A card sort's tables (see uxlab.kinds.card_sort). A participant's sort is one
# row, written again on every move and marked submitted when they finish;
# ``groups`` holds [{"name": str, "cards": [card id, ...]}, ...] in their
# order, ``unknown`` the cards put aside. A standardised name maps a group name
# as typed (folded: trimmed, case-folded, inner spaces collapsed) to the name
# the analysis uses, so "Pets" and "animals" can count as one category.


class CardSort(SQLModel, table=True):
    """One participant's card sort, partial until ``submitted_at`` is set."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", unique=True, index=True, ondelete="CASCADE"
    )
    groups: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    unknown: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: How many times the sort was saved (every move saves it).
    saves: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class CardSortName(SQLModel, table=True):
    """A group name participants used, and the standard name it counts as."""

    __table_args__ = (
        UniqueConstraint("study_id", "raw", name="uq_cardsortname_study_id_raw"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    #: The folded name as participants typed it.
    raw: str = Field(max_length=80)
    standard: str = Field(max_length=80)
    updated_at: datetime = Field(default_factory=utcnow)


# ------------------------------------------------------- five-second tests


class FiveSecondView(SQLModel, table=True):
    """When a participant of a five-second test asked for the image, when
    they went on to the questions (the image is hidden at the display time and
    never served after it) and when their answers came."""

    __table_args__ = (
        UniqueConstraint("participant_id", name="uq_fivesecondview_participant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    #: The variant's image this participant saw.
    image: str = Field(default="", max_length=400)
    shown_at: datetime = Field(default_factory=utcnow)
    continued_at: datetime | None = None
    answered_at: datetime | None = None


class FiveSecondAnswer(SQLModel, table=True):
    """One participant's answer to one recall question."""

    __table_args__ = (
        UniqueConstraint(
            "participant_id", "question", name="uq_fivesecondanswer_question"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    #: The question's id in the study file.
    question: str = Field(max_length=80)
    #: An open answer, or the option chosen.
    value_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: A rating.
    value_num: float | None = None
    answered_at: datetime = Field(default_factory=utcnow)


# The CX tables and the researchers' codes live in their own packages;
# importing them here registers them wherever the models are (migrations,
# create_schema, the tests' comparison).
from uxlab.coding import models as _coding_models  # noqa: E402, F401
from uxlab.cx import models as _cx_models  # noqa: E402, F401
