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

A correct path that is not in the tree, a task without one, and two siblings
with the same label (which would make a path ambiguous) are errors on the
line where they are written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from uxlab.studies import Key, StudySpec, _Strict

__all__ = [
    "MAX_NODES",
    "SEPARATOR",
    "NodeSpec",
    "TreeTaskSpec",
    "TreeTestSpec",
    "flatten_tree",
    "split_path",
]

#: Joins the labels of a node path ("Bins and recycling > Missed bin").
SEPARATOR = " > "
#: Most nodes a tree may have.
MAX_NODES = 5_000
#: Most levels a tree may have.
MAX_DEPTH = 30

# The label paths of the tree being validated, for the tasks' correct paths.
# Set around one TreeTestSpec validation (see TreeTestSpec._with_tree).
_TREE_PATHS: ContextVar[dict[tuple[str, ...], list[str]] | None] = ContextVar(
    "tree_paths", default=None
)


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


def _check_path(value: str) -> str:
    labels = split_path(value)
    if any(not label for label in labels):
        raise ValueError(
            f"{value!r} is not a node path; write the labels from the top of the "
            "tree down, joined by '>'"
        )
    paths = _TREE_PATHS.get()
    if paths is None:  # the tree itself is invalid; that error is reported
        return SEPARATOR.join(labels)
    for depth in range(1, len(labels) + 1):
        if labels[:depth] not in paths:
            parent = labels[: depth - 1]
            there = paths.get(parent, [])
            where = (
                f"{SEPARATOR.join(parent)!r} has no child {labels[depth - 1]!r}"
                if parent
                else f"the tree has no top-level node {labels[0]!r}"
            )
            known = ", ".join(repr(c) for c in there[:8])
            more = "…" if len(there) > 8 else ""
            raise ValueError(
                f"correct path {value!r} is not in the tree: {where}"
                + (f" (it has {known}{more})" if there else "")
            )
    return SEPARATOR.join(labels)


CorrectPath = Annotated[str, AfterValidator(_check_path)]


class TreeTaskSpec(_Strict):
    """A tree-test task: what to look for, and where it is."""

    id: Key | None = None
    prompt: str = Field(min_length=1, max_length=1000)
    #: A short name for results and exports; the prompt's start by default.
    title: str = Field(default="", max_length=200)
    correct: list[CorrectPath]

    @field_validator("correct", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and not value:
            raise ValueError(
                "a task needs at least one correct node path, like "
                "'Bins and recycling > Missed bin'"
            )
        return value

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
        return "; ".join(self.correct)


def flatten_tree(nodes: list[NodeSpec]) -> list[dict[str, Any]]:
    """The tree as a flat list in preorder: each node's ``id`` (``n1``, ``n2``
    …), ``label``, ``parent`` id (None at the top) and ``depth`` (0 at the top)."""
    out: list[dict[str, Any]] = []

    def walk(level: list[NodeSpec], parent: str | None, depth: int) -> None:
        for node in level:
            node_id = f"n{len(out) + 1}"
            out.append(
                {"id": node_id, "label": node.label, "parent": parent, "depth": depth}
            )
            walk(node.children, node_id, depth + 1)

    walk(nodes, None, 0)
    return out


def _raw_paths(raw: Any) -> dict[tuple[str, ...], list[str]] | None:
    """Every label path of a tree as written (before validation), with its
    children's labels; None when the tree is not even a list of nodes."""
    if not isinstance(raw, list):
        return None
    paths: dict[tuple[str, ...], list[str]] = {(): []}
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


class TreeTestSpec(StudySpec):
    """A tree, tasks that ask where something is, and the consent, per-task
    (``after_each_task``, e.g. SEQ) and closing questionnaires every study may
    have."""

    kind: Literal["tree_test"] = "tree_test"
    tree: list[NodeSpec]
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
        raw = data.get("tree") if isinstance(data, dict) else None
        token = _TREE_PATHS.set(_raw_paths(raw))
        try:
            return handler(data)
        finally:
            _TREE_PATHS.reset(token)

    @field_validator("tree")
    @classmethod
    def _tree_shape(cls, value: list[NodeSpec]) -> list[NodeSpec]:
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
        if self.variants:
            raise ValueError("a tree test has one tree; variants are not supported")
        return self

    def node_paths(self) -> dict[str, str]:
        """Each node's label path (``A > B``) to its id."""
        nodes = flatten_tree(self.tree)
        by_id = {n["id"]: n for n in nodes}
        out: dict[str, str] = {}
        for node in nodes:
            labels = [node["label"]]
            parent = node["parent"]
            while parent is not None:
                labels.append(by_id[parent]["label"])
                parent = by_id[parent]["parent"]
            out[SEPARATOR.join(reversed(labels))] = node["id"]
        return out

    def settings(self) -> dict[str, Any]:
        ids = self.node_paths()
        return {
            **super().settings(),
            "tree": flatten_tree(self.tree),
            "tree_tasks": [
                {
                    "key": t.id or f"t{i}",
                    "title": t.title,
                    "prompt": t.prompt,
                    "correct": [ids[p] for p in t.correct],
                }
                for i, t in enumerate(self.tasks, start=1)
            ],
            "randomise": self.randomise,
            "collapsed": self.collapsed,
        }
