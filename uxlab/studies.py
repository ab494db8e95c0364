"""Study files: load and validate them, import them, find studies.

A study file is YAML (JSON is YAML too). Errors name the file, the field path,
what was expected and, where YAML knows it, the line.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import func
from sqlmodel import Session, col, select

from uxlab.errors import NotFoundError, StudyFileError, UxlabError
from uxlab.kinds import DEFAULT_KIND, UnknownKindError, get_kind
from uxlab.models import (
    Membership,
    Participant,
    Researcher,
    Study,
    StudyMode,
    StudyStatus,
    Task,
    WorkspaceRole,
    utcnow,
)
from uxlab.patterns import PatternError, check_pattern
from uxlab.questionnaires import STANDARD
from uxlab.workspaces import (
    Permission,
    allows,
    get_workspace,
    own_workspace,
    role_in,
)

__all__ = [
    "QuestionnaireSpec",
    "StudyRow",
    "StudySpec",
    "TaskSpec",
    "balanced_latin_square",
    "get_study_by_ref",
    "import_study",
    "import_study_file",
    "line_index",
    "list_studies",
    "list_templates",
    "load_study_file",
    "parse_study",
    "slugify",
    "spec_tasks",
]

Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")]
Selector = Annotated[str, StringConstraints(min_length=1, max_length=500)]

DEFAULT_CONSENT = """\
You are invited to take part in a study of how people use a product. You will be
asked to try a few tasks and answer some questions. There are no right or wrong
answers: we are testing the product, not you.

Your answers are stored under a random code, not your name. You can stop at any
time by closing this page.
"""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Region(_Strict):
    """A rectangle on a first-click image, in fractions of its width and height."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)


class SuccessSpec(_Strict):
    """How a task's success is judged; exactly one field is set."""

    url_matches: str | None = None
    element: str | None = None
    first_click: Region | None = None
    #: Trust the participant's "I'm done" even where a criterion is recorded.
    self_report: bool = False

    @field_validator("url_matches")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_pattern(value)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> SuccessSpec:
        given = [
            k for k in ("url_matches", "element", "first_click") if getattr(self, k)
        ]
        if len(given) > 1 or (not given and not self.self_report):
            raise ValueError(
                "give exactly one of url_matches, element, first_click "
                "(or write `success: self_report`)"
            )
        if self.self_report and self.first_click is not None:
            raise ValueError("a first-click task is judged by the click alone")
        return self

    @property
    def kind(self) -> str:
        for kind in ("url_matches", "element", "first_click"):
            if getattr(self, kind) is not None:
                return kind
        return "self_report"

    @property
    def value(self) -> str:
        if self.first_click is not None:
            return json.dumps(self.first_click.model_dump())
        return str(self.url_matches or self.element or "")


class QuestionnaireItemSpec(_Strict):
    id: Key
    text: str = Field(min_length=1)


class QuestionnaireSpec(_Strict):
    """A questionnaire entry: a standard one by type, or a custom Likert/text one."""

    type: Literal[
        "sus", "seq", "nps", "umux_lite", "csat", "ces", "likert", "open_text"
    ]
    id: Key | None = None
    title: str | None = None
    instructions: str | None = None
    text: str | None = None
    items: list[QuestionnaireItemSpec] | None = None
    scale: tuple[int, int] | None = None
    labels: tuple[str, str] | None = None
    required: bool | None = None

    @model_validator(mode="after")
    def _custom_needs_content(self) -> QuestionnaireSpec:
        if self.type in ("likert", "open_text"):
            if self.id is None:
                raise ValueError(f"a {self.type} questionnaire needs an id")
            if not self.text and not self.items:
                raise ValueError(f"a {self.type} questionnaire needs text or items")
        if self.scale is not None and self.scale[0] >= self.scale[1]:
            raise ValueError(f"scale {list(self.scale)} must go from low to high")
        return self

    def as_setting(self) -> str | dict[str, Any]:
        """What is stored in Study.settings: a bare name for plain standard ones."""
        data = self.model_dump(exclude_none=True)
        if list(data) == ["type"]:
            return self.type
        if "id" not in data:
            data["id"] = self.type
        return data


def _questionnaire_list(value: Any) -> Any:
    if isinstance(value, list):
        return [{"type": v} if isinstance(v, str) else v for v in value]
    return value


class TaskSpec(_Strict):
    id: Key | None = None
    title: str = Field(min_length=1, max_length=200)
    prompt: str = ""
    start_url: str | None = None
    success: Literal["self_report"] | SuccessSpec = "self_report"
    time_limit_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    #: First-click tests: an image under static/ shown instead of a live site.
    image: str | None = None
    #: The fewest pages a participant must visit to succeed (for lostness).
    shortest_path: int | None = Field(default=None, ge=1)
    #: Site tasks: where a right first click lands, as the recorder's selector
    #: path or its end ("nav > a:nth-of-type(2)"); one or a list.
    first_click_target: list[Selector] | None = None

    @field_validator("first_click_target", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def success_kind(self) -> str:
        return "self_report" if isinstance(self.success, str) else self.success.kind

    @property
    def success_value(self) -> str:
        return "" if isinstance(self.success, str) else self.success.value

    @model_validator(mode="after")
    def _first_click_needs_image(self) -> TaskSpec:
        if self.success_kind == "first_click" and not self.image:
            raise ValueError("a first_click task needs an image (a path under static/)")
        if self.first_click_target and self.image:
            raise ValueError(
                "first_click_target is for site tasks; an image task's target is "
                "success: {first_click: ...}"
            )
        if self.image and ".." in Path(self.image).parts:
            raise ValueError("image must be a path inside static/")
        if self.start_url is not None and not re.match(
            r"^(https?://|/)", self.start_url
        ):
            raise ValueError("start_url must start with http://, https:// or /")
        return self


class VariantSpec(_Strict):
    key: Key
    name: str = ""
    #: Base URL of this design; relative task start_urls are joined onto it.
    base_url: str | None = None


class ModerationSpec(_Strict):
    #: Note tags: one key each, e.g. {q: quote, c: confusion}.
    tags: dict[str, str] = Field(default_factory=dict)
    #: Let the participant start a task themselves ("Open the site") before
    #: the moderator does; by default only the moderator starts it.
    participant_starts: bool = False


class StudySpec(_Strict):
    #: The study kind (see :mod:`uxlab.kinds`); a task-based usability study
    #: when the file does not say.
    kind: str = DEFAULT_KIND
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    mode: StudyMode = StudyMode.unmoderated
    consent: str = DEFAULT_CONSENT
    product: str = "this product"
    tasks: list[TaskSpec] = Field(default_factory=list)
    time_limit_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    after_each_task: Annotated[list[QuestionnaireSpec], Field(default_factory=list)]
    questionnaires: Annotated[list[QuestionnaireSpec], Field(default_factory=list)]
    allowed_origins: list[str] = Field(default_factory=list)
    task_order: Literal["fixed", "counterbalanced"] = "fixed"
    variants: list[VariantSpec] = Field(default_factory=list)
    #: A SUS respondent with a blank item: dropped (default), the blank scored
    #: as the centre point (Brooke 1996), or the score prorated (Lewis & Sauro
    #: 2017).
    sus_missing: Literal["drop", "impute-center", "prorate"] = "drop"
    moderation: ModerationSpec = Field(default_factory=ModerationSpec)
    thank_you: str = "Thank you for taking part. You can close this page now."
    #: Participants share one address (a lab): links are not rate-limited.
    lab_mode: bool = False

    @field_validator("after_each_task", "questionnaires", mode="before")
    @classmethod
    def _names_to_mappings(cls, value: Any) -> Any:
        return _questionnaire_list(value)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        try:
            get_kind(value)
        except UnknownKindError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.match(r"^https?://[^/\s]+$", origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://shop.example.com "
                    "(no path)"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StudySpec:
        if not self.tasks and not self.questionnaires:
            raise ValueError("a study needs at least one task or questionnaire")
        keys = [t.id or f"t{i}" for i, t in enumerate(self.tasks, start=1)]
        if len(set(keys)) != len(keys):
            raise ValueError("task ids must be unique")
        ids = [q.id or q.type for q in self.questionnaires]
        if len(set(ids)) != len(ids):
            raise ValueError(
                "questionnaire ids must be unique (give repeated types an id)"
            )
        if len({v.key for v in self.variants}) != len(self.variants):
            raise ValueError("variant keys must be unique")
        if len(self.variants) == 1:
            raise ValueError("give two or more variants, or none")
        return self

    def settings(self) -> dict[str, Any]:
        """The study-level settings kept in Study.settings."""
        return {
            "kind": self.kind,
            "product": self.product,
            "time_limit_s": self.time_limit_s,
            "after_each_task": [q.as_setting() for q in self.after_each_task],
            "questionnaires": [q.as_setting() for q in self.questionnaires],
            "allowed_origins": self.allowed_origins,
            "task_order": self.task_order,
            "variants": [v.model_dump() for v in self.variants],
            "moderation": self.moderation.model_dump(),
            "lab_mode": self.lab_mode,
            "thank_you": self.thank_you,
            "sus_missing": self.sus_missing,
        }


# ----------------------------------------------------------------- loading


def line_index(
    node: yaml.Node, path: tuple[str | int, ...] = ()
) -> dict[tuple[Any, ...], int]:
    """Map each field path in a composed YAML document to its 1-based line."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(line_index(value, (*path, key.value)))
            lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            lines.update(line_index(value, (*path, i)))
    return lines


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def parse_study(text: str, source: str = "<study>") -> StudySpec:
    """Parse and validate study file text; raise StudyFileError naming every problem."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyFileError(source, [f"not valid YAML{where}: {problem}"]) from exc
    if not isinstance(data, dict):
        raise StudyFileError(
            source, ["expected a mapping of fields (title:, tasks:, ...)"]
        )
    lines = line_index(node) if node is not None else {}
    kind_name = data.get("kind", DEFAULT_KIND)
    try:
        kind = get_kind(str(kind_name)) if isinstance(kind_name, str) else None
    except UnknownKindError as exc:
        line = lines.get(("kind",))
        where = f" (line {line})" if line else ""
        raise StudyFileError(source, [f"kind: {exc}{where}"]) from exc
    if kind is None:
        line = lines.get(("kind",))
        where = f" (line {line})" if line else ""
        raise StudyFileError(
            source, [f"kind: a kind name like {DEFAULT_KIND!r} is expected{where}"]
        )
    try:
        return kind.spec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if err["type"] == "literal_error" and isinstance(err["input"], dict):
                continue  # the mapping branch of `success` reports the real problem
            loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
            line = _nearest_line(lines, loc)
            where = f" (line {line})" if line else ""
            problems.append(f"{_format_loc(loc)}: {_describe(err)}{where}")
        raise StudyFileError(source, problems) from exc


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part in ("SuccessSpec", "str") or part.startswith(("literal[", "function-"))
    )


def _describe(err: Any) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    elif err["type"] == "missing":
        msg = "required field is missing"
    return msg


def _nearest_line(
    lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]
) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def load_study_file(path: Path) -> StudySpec:
    """Read and validate a study file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyFileError(str(path), [f"cannot read the file: {exc}"]) from exc
    return parse_study(text, str(path))


def list_templates(folder: Path) -> list[tuple[str, StudySpec]]:
    """The study files shipped in ``folder``, by file name."""
    found = []
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            found.append((path.name, load_study_file(path)))
    return found


# ---------------------------------------------------------------- importing


def slugify(text: str) -> str:
    """A URL-safe lower-case name: "Checkout test (v2)" -> "checkout-test-v2"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60] or "study"


#: Slugs that would hide a researcher page behind a study ("/studies/new").
RESERVED_SLUGS = frozenset({"new"})


def _unique_slug(session: Session, wanted: str) -> str:
    slug = slugify(wanted)
    if slug in RESERVED_SLUGS:
        slug = f"{slug}-study"
    taken = set(
        session.exec(select(Study.slug).where(col(Study.slug).startswith(slug))).all()
    )
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"


def import_study(
    session: Session,
    spec: StudySpec,
    *,
    owner: Researcher,
    source_text: str,
    workspace_id: int | None = None,
    slug: str | None = None,
    publish: bool = False,
) -> Study:
    """Create a study with its tasks from a validated spec, in one transaction.

    The study goes into ``workspace_id``, by default the owner's personal
    workspace; ``owner`` is recorded as the researcher who created it.
    """
    assert owner.id is not None
    if workspace_id is None:
        workspace_id = own_workspace(session, owner).id
    assert workspace_id is not None
    study = Study(
        researcher_id=owner.id,
        workspace_id=workspace_id,
        slug=_unique_slug(session, slug or spec.title),
        title=spec.title,
        description=spec.description,
        mode=spec.mode,
        consent=spec.consent,
        settings=spec.settings(),
        source_yaml=source_text,
    )
    if publish:
        study.status = StudyStatus.live
        study.published_at = utcnow()
    session.add(study)
    session.flush()
    assert study.id is not None
    session.add_all(spec_tasks(study.id, spec))
    session.commit()
    session.refresh(study)
    return study


def spec_tasks(study_id: int, spec: StudySpec) -> list[Task]:
    """The task rows a validated spec describes, for the study ``study_id``."""
    tasks = []
    for position, task in enumerate(spec.tasks, start=1):
        settings: dict[str, Any] = {}
        if task.image:
            settings["image"] = task.image
        if task.shortest_path:
            settings["shortest_path"] = task.shortest_path
        if task.first_click_target:
            settings["first_click_selector"] = task.first_click_target
        if not isinstance(task.success, str) and task.success.self_report:
            settings["trust_self_report"] = True
        tasks.append(
            Task(
                study_id=study_id,
                key=task.id or f"t{position}",
                position=position,
                title=task.title,
                prompt=task.prompt,
                start_url=task.start_url,
                success_kind=task.success_kind,
                success_value=task.success_value,
                time_limit_s=task.time_limit_s or spec.time_limit_s,
                settings=settings,
            )
        )
    return tasks


def import_study_file(
    session: Session,
    path: Path,
    *,
    owner_email: str | None = None,
    workspace: str | None = None,
    slug: str | None = None,
    publish: bool = False,
) -> Study:
    """Validate a study file and import it for a researcher, into a workspace.

    Without ``workspace`` the study goes into the owner's personal workspace.
    With it, the owner must be a member allowed to create studies there; with no
    ``owner_email``, the study is recorded as created by the workspace's first
    owner.
    """
    spec = load_study_file(path)
    owner: Researcher | None = None
    if owner_email is not None:
        owner = session.exec(
            select(Researcher).where(Researcher.email == owner_email.strip().lower())
        ).first()
        if owner is None:
            raise NotFoundError(f"no researcher with email {owner_email!r}")
    workspace_id = None
    if workspace is not None:
        found = get_workspace(session, workspace)
        if owner is None:
            owner = session.exec(
                select(Researcher)
                .join(Membership, col(Membership.researcher_id) == col(Researcher.id))
                .where(Membership.workspace_id == found.id)
                .where(Membership.role == WorkspaceRole.owner)
                .order_by(col(Membership.id))
            ).first()
        assert owner is not None and owner.id is not None
        role = role_in(session, found.id, owner.id)  # type: ignore[arg-type]
        if not allows(role, Permission.edit):
            raise UxlabError(
                f"{owner.email} cannot create studies in workspace {found.slug!r}: "
                f"that needs the editor or owner role (they are "
                f"{role or 'not a member'})"
            )
        workspace_id = found.id
    if owner is None:
        raise UxlabError("name the study's owner (--owner) or its workspace")
    return import_study(
        session,
        spec,
        owner=owner,
        source_text=path.read_text(encoding="utf-8"),
        workspace_id=workspace_id,
        slug=slug,
        publish=publish,
    )


# ------------------------------------------------------------------ finding


@dataclass(frozen=True, slots=True)
class StudyRow:
    id: int
    slug: str
    title: str
    status: str
    mode: str
    started: int
    finished: int


def list_studies(
    session: Session,
    *,
    owner_email: str | None = None,
    workspace_id: int | None = None,
) -> list[StudyRow]:
    """Studies with participant counts, newest first (of one workspace, or all)."""
    started = func.count(col(Participant.id))
    finished = func.count(col(Participant.finished_at))
    query = (
        select(Study, started, finished)
        .join(Participant, col(Participant.study_id) == col(Study.id), isouter=True)
        .group_by(col(Study.id))
        .order_by(col(Study.id).desc())
    )
    if owner_email is not None:
        query = query.join(
            Researcher, col(Researcher.id) == col(Study.researcher_id)
        ).where(Researcher.email == owner_email.lower())
    if workspace_id is not None:
        query = query.where(Study.workspace_id == workspace_id)
    rows = []
    for study, n_started, n_finished in session.exec(query).all():
        assert study.id is not None
        rows.append(
            StudyRow(
                id=study.id,
                slug=study.slug,
                title=study.title,
                status=str(study.status),
                mode=str(study.mode),
                started=n_started,
                finished=n_finished,
            )
        )
    return rows


def get_study_by_ref(
    session: Session, ref: str, *, owner_id: int | None = None
) -> Study:
    """A study by slug or numeric id; another owner's study counts as not found."""
    study = session.exec(select(Study).where(Study.slug == ref)).first()
    if study is None and ref.isdigit():
        study = session.get(Study, int(ref))
    if study is None or (owner_id is not None and study.researcher_id != owner_id):
        raise NotFoundError(f"no study {ref!r}")
    return study


def balanced_latin_square(n: int) -> list[list[int]]:
    """Orders of ``n`` items in which each item follows every other equally often.

    Williams (1949) design: n rows for even n, 2n rows (each row and its mirror)
    for odd n. Participant i takes row ``i % len(rows)``.

    >>> balanced_latin_square(4)
    [[0, 1, 3, 2], [1, 2, 0, 3], [2, 3, 1, 0], [3, 0, 2, 1]]
    """
    if n < 1:
        raise ValueError(f"n ({n}) must be at least 1")
    first = [0]
    low, high = 1, n - 1
    for i in range(1, n):
        if i % 2:
            first.append(low)
            low += 1
        else:
            first.append(high)
            high -= 1
    rows = [[(x + r) % n for x in first] for r in range(n)]
    if n % 2:
        rows += [list(reversed(row)) for row in rows]
    return rows


# Standard questionnaire names usable in study files (for error messages and docs).
STANDARD_QUESTIONNAIRES = tuple(STANDARD)
