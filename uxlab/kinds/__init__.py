"""Study kinds: what each kind of study needs, behind one interface.

A study's kind (``kind:`` in its study file, kept in ``Study.settings``;
``usability`` when absent) decides its file schema, the steps a participant
goes through, how answers are stored and checked, and how results, exports
and demo data are made. Each kind is a package ``uxlab/kinds/<kind>/`` that
registers one :class:`StudyKind`; the study loader, the participant flow,
results and exports ask the registry instead of branching on the kind::

    from uxlab.kinds import kind_of
    steps = kind_of(study).steps(study, participant)

A participant's place is a :class:`Step`, stored as its string form in
:attr:`~uxlab.models.Participant.step` (``consent``, ``task:3``, ``seq:3``,
``q:sus``, ``done``); :meth:`Step.parse` is the one place that reads it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Participant, Study
    from uxlab.participation.base import StepPage
    from uxlab.studies import StudySpec

#: The kind of a study whose file has no ``kind:``.
DEFAULT_KIND = "usability"

#: Kinds shipped with uxlab, imported (and so registered) on first use.
BUILTIN_KINDS = ("usability", "preference", "five_second", "tree_test", "card_sort")


# ------------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True)
class Step:
    """One place on a participant's way through a study.

    ``name`` is what the step is (``consent``, ``task``, ``seq``, ``q``,
    ``done``, or a step a study kind adds); ``arg`` what it is about: the
    position in the participant's own task order for ``task`` and ``seq``, the
    questionnaire id for ``q``, nothing for ``consent`` and ``done``.

    >>> Step.parse("task:3").index
    3
    >>> str(Step("q", "sus"))
    'q:sus'
    """

    name: str
    arg: str | None = None

    #: Steps whose argument is a position in the participant's task order.
    INDEXED: ClassVar[frozenset[str]] = frozenset({"task", "seq"})

    @classmethod
    def parse(cls, text: str | None) -> Step:
        """The step stored as ``text``; ``ValueError`` if it is not one."""
        if not text:
            raise ValueError("a step cannot be empty")
        name, sep, arg = text.partition(":")
        if not name or (sep and not arg):
            raise ValueError(f"{text!r} is not a step")
        if name in cls.INDEXED and not (arg.isascii() and arg.isdigit()):
            raise ValueError(f"{text!r} is not a step: {name} needs a position")
        return cls(name, arg if sep else None)

    @classmethod
    def maybe(cls, text: str | None) -> Step | None:
        """The step stored as ``text``, or None if it is empty or not a step."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @classmethod
    def task(cls, index: int) -> Step:
        return cls("task", str(index))

    @classmethod
    def seq(cls, index: int) -> Step:
        return cls("seq", str(index))

    @classmethod
    def questionnaire(cls, qid: str) -> Step:
        return cls("q", qid)

    @property
    def index(self) -> int | None:
        """The task position of a ``task`` or ``seq`` step, else None."""
        if self.name in self.INDEXED and self.arg is not None:
            return int(self.arg)
        return None

    @property
    def page(self) -> str:
        """Which page shows this step: the after-task and end-of-study
        questionnaires share the questionnaire page."""
        return "questionnaire" if self.name in ("seq", "q") else self.name

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"


CONSENT = Step("consent")
DONE = Step("done")


def step_index(text: str | None) -> int | None:
    """The task position of a stored ``task:<i>`` or ``seq:<i>`` step, else None."""
    step = Step.maybe(text)
    return step.index if step is not None else None


# -------------------------------------------------------------- interface


class StudyKind(Protocol):
    """What a study kind supplies.

    ``spec`` is the pydantic model of its study file (validated by
    :func:`uxlab.studies.parse_study` with line-level errors); ``steps`` the
    participant's way through a study of this kind; ``page_templates`` the
    participant page for each step name the kind adds; ``analysis`` (the
    summary, calling :mod:`uxlab.stats`), ``results`` (the summary with its
    charts, shown by ``results_template``), ``export_rows`` (the tidy tables
    by CSV file name) and ``demo`` (simulated participants) make the rest.
    """

    #: The value of ``kind:`` in a study file.
    name: str
    #: How researchers see the kind named ("Usability test").
    label: str

    @property
    def spec(self) -> type[StudySpec]: ...

    def steps(self, study: Study, participant: Participant) -> list[Step]: ...

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        """Add what the participant page of ``step`` shows to ``page``."""

    @property
    def page_templates(self) -> Mapping[str, str]: ...

    @property
    def analysis(self) -> Callable[..., Any]: ...

    @property
    def results(self) -> Callable[..., Any]: ...

    #: The researcher's results page.
    results_template: str

    @property
    def export_rows(self) -> Callable[..., Any]: ...

    @property
    def demo(self) -> Callable[..., Any]: ...

    # Optional hooks, asked for with getattr (a kind without them has none):
    #
    # - ``blueprint``: a Flask blueprint of researcher routes of the kind's
    #   own (a five-second test's coding forms), registered with the app;
    # - ``chart_bytes(summary, name, fmt)``: the kind's own charts;
    # - ``codebook_entries(study)``: the codebook's rows (file, column, item,
    #   meaning, values) for the kind's own export tables
    #   (:func:`table_codebook` makes them from a table of meanings);
    # - ``report_template``: the partial template its results page shares
    #   with the HTML/PDF study report, rendered there from ``results``;
    # - ``json_export(session, study)``: the kind's part of the JSON export,
    #   a JSON-ready mapping kept under the kind's name;
    # - ``step_label(study, step)``: how a moderator's console names one of
    #   the kind's own steps ("Sorting the cards"), None for other steps.
    #
    # A kind whose own steps take an answer also has
    # ``submit(session, study, participant, step, form) -> bool``: it checks
    # and stores the answer of ``step`` from the posted ``form`` (raising
    # :class:`~uxlab.errors.InvalidAnswerError` for one it refuses), returns
    # False for a step it takes no answer on, and leaves the commit to
    # :func:`uxlab.participation.submit_step`, which moves the participant on.


#: One codebook row: file, column, item, meaning, values.
CodebookEntry = tuple[str, str, str, str, str]


def table_codebook(
    tables: Mapping[str, Mapping[str, tuple[str, str]]],
) -> list[CodebookEntry]:
    """Codebook rows for a kind's own tables, from what each column of each
    file means and the values it takes: ``{file: {column: (meaning,
    values)}}``, for a kind's ``codebook_entries``."""
    return [
        (name, column, "", meaning, values)
        for name, columns in tables.items()
        for column, (meaning, values) in columns.items()
    ]


class UnknownKindError(LookupError):
    """A study kind no package registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        known = ", ".join(sorted(names()))
        super().__init__(f"unknown study kind {name!r} (known kinds: {known})")


_REGISTRY: dict[str, StudyKind] = {}


def register(kind: StudyKind) -> StudyKind:
    """Make ``kind`` known by its name; a second kind of the same name is an error."""
    existing = _REGISTRY.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"study kind {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


def _load_builtins() -> None:
    for name in BUILTIN_KINDS:
        if name not in _REGISTRY:
            importlib.import_module(f"uxlab.kinds.{name}")


def names() -> list[str]:
    """The names of every registered study kind."""
    _load_builtins()
    return sorted(_REGISTRY)


def get_kind(name: str | None) -> StudyKind:
    """The study kind called ``name`` (the default kind for None)."""
    _load_builtins()
    try:
        return _REGISTRY[name or DEFAULT_KIND]
    except KeyError:
        raise UnknownKindError(str(name)) from None


def all_kinds() -> list[StudyKind]:
    """Every registered study kind, by name."""
    _load_builtins()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def blueprints() -> list[Any]:
    """The Flask blueprints the registered kinds add (their ``blueprint``)."""
    return [
        bp
        for kind in all_kinds()
        if (bp := getattr(kind, "blueprint", None)) is not None
    ]


def kind_of(study: Study) -> StudyKind:
    """The kind of ``study``, from its settings."""
    return get_kind(str((study.settings or {}).get("kind") or DEFAULT_KIND))


__all__ = [
    "CONSENT",
    "DEFAULT_KIND",
    "CodebookEntry",
    "DONE",
    "Step",
    "StudyKind",
    "UnknownKindError",
    "all_kinds",
    "blueprints",
    "get_kind",
    "kind_of",
    "names",
    "register",
    "step_index",
    "table_codebook",
]
