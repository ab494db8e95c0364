"""The study file of a tree test (``kind: tree_test``).

A tree test has a ``tree:`` of labelled nodes, nested to any depth (a node is
its label, or a mapping with ``label`` and ``children``), and ``tasks``, each
with a ``prompt`` and one or more ``correct`` node paths written as the labels
from the top of the tree down, joined by ``>``::

    tree:
      - label: Bins and recycling
        children: [Missed bin, Garden waste]
    tasks:
      - prompt: Your bin was not emptied this week. Where would you report it?
        correct: Bins and recycling > Missed bin

A study with ``variants:`` compares trees: it gives one tree per variant
under ``trees:`` instead of ``tree:``, and each task its correct paths per
variant::

    variants: [{key: a, name: Current menu}, {key: b, name: Proposed menu}]
    trees:
      - variant: a
        tree: [...]
      - variant: b
        tree: [...]
    tasks:
      - prompt: Your bin was not emptied this week. Where would you report it?
        correct: {a: [Bins > Missed bin], b: [Report a problem > Bins]}

A variant's node ids start with its key (``a-n1``), so no id names two nodes.

A correct path that is not in the tree, a task without one, two siblings
with the same label (which would make a path ambiguous), a variant without a
tree or without correct paths, and trees without variants are errors on the
line where they are written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from uxlab.studies import Key, StudySpec, _Strict

__all__ = [
    "MAX_NODES",
    "SEPARATOR",
    "NodeSpec",
    "TreeTaskSpec",
    "TreeTestSpec",
    "VariantTreeSpec",
    "flatten_tree",
    "split_path",
]

#: Joins the labels of a node path ("Bins and recycling > Missed bin").
SEPARATOR = " > "
#: Most nodes a tree may have.
MAX_NODES = 5_000
#: Most levels a tree may have.
MAX_DEPTH = 30

Paths = dict[tuple[str, ...], list[str]]


@dataclass(slots=True)
class _Trees:
    """The study's trees as written, for checking the tasks' correct paths."""

    #: The label paths of ``tree:`` (None when it is not even a list of nodes).
    paths: Paths | None = None
    #: The variant keys, in the file's order (empty without variants).
    variants: list[str] = field(default_factory=list)
    #: The label paths of each variant's tree under ``trees:``.
    by_variant: dict[str, Paths | None] = field(default_factory=dict)


# The trees being validated. Set around one TreeTestSpec validation (see
# TreeTestSpec._with_tree).
_TREES: ContextVar[_Trees | None] = ContextVar("trees", default=None)


def split_path(text: str) -> tuple[str, ...]:
    """The labels of a path written as ``A > B > C``, each stripped."""
    return tuple(part.strip() for part in text.split(">"))


class NodeSpec(_Strict):
    """One node of the tree: its label and the nodes below it."""

    label: str = Field(min_length=1, max_length=200)
    children: list[NodeSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _label_alone(cls, value: Any) -> Any:
        return {"label": value} if isinstance(value, str) else value

    @field_validator("label")
    @classmethod
    def _no_separator(cls, value: str) -> str:
        if ">" in value:
            raise ValueError(
                f"label {value!r} contains '>', which separates the labels of a "
                "correct path; write it another way"
            )
        return value

    @field_validator("children")
    @classmethod
    def _unique_children(cls, value: list[NodeSpec]) -> list[NodeSpec]:
        _check_siblings(value)
        return value


def _check_siblings(nodes: list[NodeSpec]) -> None:
    seen: set[str] = set()
    for node in nodes:
        key = node.label.casefold()
        if key in seen:
            raise ValueError(
                f"two sibling nodes are labelled {node.label!r}; a path to either "
                "would be ambiguous, so give them different labels"
            )
        seen.add(key)


def _path_problem(value: str, paths: Paths | None, where: str) -> str | None:
    """Why ``value`` is not a node path of the tree ``paths`` (None when it is,
    or when the tree itself is invalid: that error is reported)."""
    labels = split_path(value)
    if any(not label for label in labels):
        return (
            f"{value!r} is not a node path; write the labels from the top of the "
            "tree down, joined by '>'"
        )
    if paths is None:
        return None
    for depth in range(1, len(labels) + 1):
        if labels[:depth] not in paths:
            parent = labels[: depth - 1]
            there = paths.get(parent, [])
            missing = (
                f"{SEPARATOR.join(parent)!r} has no child {labels[depth - 1]!r}"
                if parent
                else f"the tree has no top-level node {labels[0]!r}"
            )
            known = ", ".join(repr(c) for c in there[:8])
            more = "…" if len(there) > 8 else ""
            return f"correct path {value!r} is not in {where}: {missing}" + (
                f" (it has {known}{more})" if there else ""
            )
    return None


def _problem(loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    """A line error at ``loc`` (below the field being validated)."""
    return {
        "type": "value_error",
        "loc": loc,
        "input": value,
        "ctx": {"error": ValueError(message)},
    }


def _paths(
    value: Any,
    paths: Paths | None,
    where: str,
    loc: tuple[str | int, ...],
    problems: list[InitErrorDetails],
) -> list[str]:
    """One tree's correct paths (text, or a list of texts), each checked
    against the tree; what is wrong is added to ``problems``."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(_problem(loc, "give a node path or a list of them", value))
        return []
    if not value:
        problems.append(
            _problem(
                loc,
                "a task needs at least one correct node path, like "
                "'Bins and recycling > Missed bin'",
                value,
            )
        )
    out = []
    for i, text in enumerate(value):
        if not isinstance(text, str):
            problems.append(_problem((*loc, i), "a node path is text", text))
            continue
        why = _path_problem(text, paths, where)
        if why:
            problems.append(_problem((*loc, i), why, text))
        out.append(SEPARATOR.join(split_path(text)))
    return out


def _correct(value: Any) -> list[str] | dict[str, list[str]]:
    """A task's correct paths: a list for one tree, or a list per variant
    (every variant's, and only theirs) for a study with variants."""
    trees = _TREES.get() or _Trees()
    variants = trees.variants
    problems: list[InitErrorDetails] = []
    out: list[str] | dict[str, list[str]]
    if isinstance(value, dict):
        if not variants:
            raise ValueError("correct paths per variant need the study's variants:")
        out = {}
        for key, paths in value.items():
            if key not in variants:
                problems.append(
                    _problem(
                        (str(key),),
                        f"no variant {key!r}; the variants are {', '.join(variants)}",
                        paths,
                    )
                )
                continue
            out[key] = _paths(
                paths,
                trees.by_variant.get(key),
                f"variant {key}'s tree",
                (key,),
                problems,
            )
        problems += [
            _problem((), f"no correct path for variant {key!r}", value)
            for key in variants
            if key not in value
        ]
    elif variants:
        like = ", ".join(f"{key}: [...]" for key in variants[:2])
        raise ValueError(
            f"with variants, give the correct paths per variant, like {{{like}}}"
        )
    else:
        out = _paths(value, trees.paths, "the tree", (), problems)
    if problems:
        raise ValidationError.from_exception_data("correct", problems)
    return out


class TreeTaskSpec(_Strict):
    """A tree-test task: what to look for, and where it is."""

    id: Key | None = None
    prompt: str = Field(min_length=1, max_length=1000)
    #: A short name for results and exports; the prompt's start by default.
    title: str = Field(default="", max_length=200)
    #: The correct node paths; with variants, the paths in each variant's
    #: tree by variant key.
    correct: list[str] | dict[str, list[str]]

    @field_validator("correct", mode="plain")
    @classmethod
    def _checked(cls, value: Any) -> list[str] | dict[str, list[str]]:
        return _correct(value)

    @model_validator(mode="after")
    def _default_title(self) -> TreeTaskSpec:
        if not self.title:
            words = self.prompt.split()
            short = " ".join(words[:8])
            self.title = short + ("…" if len(words) > 8 else "")
        return self

    # What :func:`uxlab.studies.spec_tasks` reads of every task.
    start_url: None = None
    time_limit_s: None = None
    image: None = None
    shortest_path: None = None
    first_click_target: None = None

    @property
    def success(self) -> str:
        return "tree"

    @property
    def success_kind(self) -> str:
        return "tree"

    @property
    def success_value(self) -> str:
        if isinstance(self.correct, dict):
            return "; ".join(
                f"{key}: {path}"
                for key, paths in self.correct.items()
                for path in paths
            )
        return "; ".join(self.correct)

    def correct_in(self, variant: str | None) -> list[str]:
        """The correct paths in ``variant``'s tree (the one tree's without
        variants)."""
        if isinstance(self.correct, dict):
            return self.correct[str(variant)]
        return self.correct


def flatten_tree(nodes: list[NodeSpec], *, prefix: str = "") -> list[dict[str, Any]]:
    """The tree as a flat list in preorder: each node's ``id`` (``n1``, ``n2``
    …, after ``prefix``), ``label``, ``parent`` id (None at the top) and
    ``depth`` (0 at the top)."""
    out: list[dict[str, Any]] = []

    def walk(level: list[NodeSpec], parent: str | None, depth: int) -> None:
        for node in level:
            node_id = f"{prefix}n{len(out) + 1}"
            out.append(
                {"id": node_id, "label": node.label, "parent": parent, "depth": depth}
            )
            walk(node.children, node_id, depth + 1)

    walk(nodes, None, 0)
    return out


def _raw_paths(raw: Any) -> Paths | None:
    """Every label path of a tree as written (before validation), with its
    children's labels; None when the tree is not even a list of nodes."""
    if not isinstance(raw, list):
        return None
    paths: Paths = {(): []}
    stack: list[tuple[tuple[str, ...], list[Any]]] = [((), raw)]
    children: Any
    while stack:
        prefix, level = stack.pop()
        for item in level:
            if isinstance(item, str):
                label, children = item, []
            elif isinstance(item, dict) and isinstance(item.get("label"), str):
                label, children = item["label"], item.get("children") or []
            else:
                return None
            path = (*prefix, label.strip())
            paths[prefix].append(label.strip())
            paths.setdefault(path, [])
            if isinstance(children, list):
                stack.append((path, children))
    return paths


def _depth(nodes: list[NodeSpec]) -> Iterator[int]:
    stack = [(n, 1) for n in nodes]
    while stack:
        node, depth = stack.pop()
        yield depth
        stack.extend((c, depth + 1) for c in node.children)


def _tree_shape(value: list[NodeSpec]) -> list[NodeSpec]:
    if not value:
        raise ValueError("the tree needs at least one node")
    _check_siblings(value)
    size = depth = 0
    for level in _depth(value):
        size += 1
        depth = max(depth, level)
    if size > MAX_NODES:
        raise ValueError(f"the tree has {size} nodes; at most {MAX_NODES} work")
    if depth > MAX_DEPTH:
        raise ValueError(f"the tree is {depth} levels deep; at most {MAX_DEPTH}")
    return value


class VariantTreeSpec(_Strict):
    """The tree one variant's participants see."""

    variant: Key
    tree: list[NodeSpec]

    @field_validator("tree")
    @classmethod
    def _tree_shape(cls, value: list[NodeSpec]) -> list[NodeSpec]:
        return _tree_shape(value)


def _raw_variants(data: dict[str, Any]) -> list[str]:
    raw = data.get("variants")
    if not isinstance(raw, list):
        return []
    return [str(v["key"]) for v in raw if isinstance(v, dict) and "key" in v]


def _raw_trees(data: dict[str, Any]) -> list[Any]:
    raw = data.get("trees")
    return raw if isinstance(raw, list) else []


def _structure(data: dict[str, Any], variants: list[str]) -> list[InitErrorDetails]:
    """What is wrong with the file's ``tree:``, ``trees:`` and ``variants:``
    together: one tree without variants, one per variant with them."""
    trees = _raw_trees(data)
    has_tree, has_trees = "tree" in data, "trees" in data
    if has_tree and has_trees:
        return [
            _problem(
                ("tree",), "give either tree: (one for all) or trees: (per variant)", 0
            )
        ]
    if has_trees and not variants:
        return [
            _problem(("trees",), "one tree per variant needs the study's variants:", 0)
        ]
    if variants and has_tree:
        return [
            _problem(
                ("tree",),
                "a study with variants gives one tree per variant under trees:",
                0,
            )
        ]
    if not has_tree and not has_trees:
        if variants:
            return [
                _problem(
                    ("trees",),
                    "a study with variants needs one tree per variant under trees:",
                    0,
                )
            ]
        return [{"type": "missing", "loc": ("tree",), "input": data}]
    if not has_trees:
        return []
    problems: list[InitErrorDetails] = []
    given: set[str] = set()
    for i, entry in enumerate(trees):
        key = entry.get("variant") if isinstance(entry, dict) else None
        if not isinstance(key, str):
            continue  # reported by the field's own validation
        if key not in variants:
            problems.append(
                _problem(
                    ("trees", i, "variant"),
                    f"no variant {key!r}; the variants are {', '.join(variants)}",
                    key,
                )
            )
        elif key in given:
            problems.append(
                _problem(("trees", i, "variant"), f"variant {key!r} has two trees", key)
            )
        given.add(key)
    problems += [
        _problem(
            ("trees",), f"no tree for variant {key!r}; give one tree per variant", 0
        )
        for key in variants
        if key not in given
    ]
    return problems


def _detail(error: Any) -> InitErrorDetails:
    """A reported error as a line error to raise again, its type and message
    kept (whatever its type's own context needs)."""
    return {
        "type": PydanticCustomError(error["type"], str(error["msg"])),
        "loc": error["loc"],
        "input": error.get("input"),
    }


class TreeTestSpec(StudySpec):
    """A tree (or one per variant), tasks that ask where something is, and the
    consent, per-task (``after_each_task``, e.g. SEQ) and closing
    questionnaires every study may have."""

    kind: Literal["tree_test"] = "tree_test"
    #: The tree every participant sees (a study without variants).
    tree: list[NodeSpec] | None = None
    #: One tree per variant, instead of ``tree``.
    trees: list[VariantTreeSpec] = Field(default_factory=list)
    tasks: list[TreeTaskSpec]  # type: ignore[assignment]
    #: Give each participant the tasks in an order of their own
    #: (``task_order: counterbalanced`` takes a balanced Latin square instead).
    randomise: bool = True
    #: Start every task with the tree fully collapsed (only the top level
    #: shown); when false, every level is shown open.
    collapsed: bool = True

    @model_validator(mode="wrap")
    @classmethod
    def _with_tree(
        cls, data: Any, handler: ModelWrapValidatorHandler[TreeTestSpec]
    ) -> TreeTestSpec:
        """Validate with the trees as written at hand for the tasks' correct
        paths, and report how ``tree:``, ``trees:`` and ``variants:`` fit
        together alongside every other problem."""
        if not isinstance(data, dict):
            return handler(data)
        variants = _raw_variants(data)
        trees = _Trees(paths=_raw_paths(data.get("tree")), variants=variants)
        if "trees" in data and variants:
            for entry in _raw_trees(data):
                if isinstance(entry, dict) and isinstance(entry.get("variant"), str):
                    key = entry["variant"]
                    trees.by_variant[key] = _raw_paths(entry.get("tree"))
        structure = _structure(data, variants)
        token = _TREES.set(trees)
        try:
            spec = handler(data)
        except ValidationError as exc:
            if not structure:
                raise
            errors = [_detail(e) for e in exc.errors(include_url=False)]
            raise ValidationError.from_exception_data(
                exc.title, errors + structure
            ) from None
        finally:
            _TREES.reset(token)
        if structure:
            raise ValidationError.from_exception_data(cls.__name__, structure)
        return spec

    @field_validator("tree")
    @classmethod
    def _tree_shape(cls, value: list[NodeSpec] | None) -> list[NodeSpec] | None:
        return value if value is None else _tree_shape(value)

    @field_validator("tasks")
    @classmethod
    def _some_tasks(cls, value: list[TreeTaskSpec]) -> list[TreeTaskSpec]:
        if not value:
            raise ValueError("a tree test needs at least one task")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TreeTestSpec:
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

    def _trees(self) -> dict[str | None, list[dict[str, Any]]]:
        """Each variant's tree as a flat list (one tree, under None, without
        variants), in the order of ``variants:``."""
        if not self.trees:
            return {None: flatten_tree(self.tree or [])}
        by_key = {t.variant: t.tree for t in self.trees}
        return {
            v.key: flatten_tree(by_key[v.key], prefix=f"{v.key}-")
            for v in self.variants
        }

    def node_paths(self, variant: str | None = None) -> dict[str, str]:
        """Each node's label path (``A > B``) to its id, in ``variant``'s tree
        (the one tree's without variants)."""
        return _ids(self._trees()[variant])

    def settings(self) -> dict[str, Any]:
        trees = self._trees()
        ids = {key: _ids(nodes) for key, nodes in trees.items()}
        tasks = []
        for i, t in enumerate(self.tasks, start=1):
            task: dict[str, Any] = {
                "key": t.id or f"t{i}",
                "title": t.title,
                "prompt": t.prompt,
            }
            by_variant = {
                key: [ids[key][p] for p in t.correct_in(key)] for key in trees
            }
            # Every variant's correct ids together: a variant's ids start
            # with its key, so none names two nodes.
            task["correct"] = [c for cs in by_variant.values() for c in cs]
            if self.trees:
                task["correct_by_variant"] = by_variant
            tasks.append(task)
        out = {
            **super().settings(),
            "tree": trees.get(None, []),
            "tree_tasks": tasks,
            "randomise": self.randomise,
            "collapsed": self.collapsed,
        }
        if self.trees:
            out["trees"] = trees
        return out


def _ids(nodes: list[dict[str, Any]]) -> dict[str, str]:
    """Each node's label path (``A > B``) to its id, for a flattened tree."""
    paths: dict[str, str] = {}
    out: dict[str, str] = {}
    for node in nodes:  # preorder: a parent comes before its children
        parent = node["parent"]
        label = str(node["label"])
        path = label if parent is None else paths[parent] + SEPARATOR + label
        paths[node["id"]] = path
        out[path] = node["id"]
    return out
