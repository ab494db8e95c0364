"""Simulated participants of a tree test, for the demo and the benchmark."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from uxlab.models import Participant, Response, Study, Task, TreeAnswer, utcnow
from uxlab.questionnaires import build_questionnaire
from uxlab.tokens import hash_token, new_code, new_token

from . import correct_of, task_order, tree_of, tree_variant

__all__ = ["simulate_path", "simulate_tree_test"]


def _maps(
    nodes: list[dict[str, Any]],
) -> tuple[dict[str | None, list[str]], dict[str, str | None]]:
    children: dict[str | None, list[str]] = {None: []}
    parents: dict[str, str | None] = {}
    for node in nodes:
        children.setdefault(node["id"], [])
        children.setdefault(node["parent"], []).append(node["id"])
        parents[node["id"]] = node["parent"]
    return children, parents


def simulate_path(
    rng: np.random.Generator,
    children: dict[str | None, list[str]],
    parents: dict[str, str | None],
    target: str,
    *,
    skill: float,
) -> tuple[list[str], str | None]:
    """One participant's clicks looking for ``target``, and the node chosen
    (None for giving up): at each level the right heading with probability
    ``skill``, otherwise another; up to twice, a wrong heading is closed
    again and the search goes on from its parent."""
    on_path = {target}
    up = parents[target]
    while up is not None:
        on_path.add(up)
        up = parents[up]
    clicks: list[str] = []
    node: str | None = None
    backtracks = 0
    while len(clicks) < 60:
        options = children[node]
        if not options:
            break
        right = [c for c in options if c in on_path]
        if right and rng.random() < skill:
            pick = right[0]
        else:
            pick = options[int(rng.integers(0, len(options)))]
        clicks.append(pick)
        node = pick
        if (
            pick not in on_path
            and children[pick]
            and backtracks < 2
            and rng.random() < 0.5
        ):
            clicks.append(pick)  # closes it again
            node = parents[pick]
            backtracks += 1
    chosen = None if rng.random() < 0.07 else node
    return clicks, chosen


def simulate_tree_test(
    session: Session,
    study: Study,
    count: int,
    rng: np.random.Generator,
    *,
    comments: tuple[str, ...] = ("",),
) -> None:
    """Add ``count`` participants who answered every task over the last days;
    some tasks are harder than others, so the results have something to show.
    With variants, the participants take turns at the variants' trees."""
    from uxlab.demo import _answer

    variants: list[str | None] = [
        str(v["key"]) for v in study.settings.get("variants") or []
    ]
    maps = {
        tree_variant(study, v): _maps(tree_of(study, v)) for v in variants or [None]
    }
    product = study.settings.get("product", "this product")
    closing = [
        build_questionnaire(q, product=product)
        for q in study.settings.get("questionnaires", [])
    ]
    after = [
        q
        for q in (
            build_questionnaire(spec, product=product)
            for spec in study.settings.get("after_each_task", [])
        )
        if not q.open_text
    ]
    task_ids = {
        key: task_id
        for key, task_id in session.exec(
            select(Task.key, Task.id)
            .where(Task.study_id == study.id)
            .order_by(col(Task.position))
        ).all()
    }
    difficulty = {
        t["key"]: float(rng.uniform(0.6, 0.95))
        for t in study.settings.get("tree_tasks", [])
    }
    now = utcnow()
    for number in range(count):
        variant = variants[number % len(variants)] if variants else None
        children, parents = maps[tree_variant(study, variant)]
        started = now - timedelta(
            days=float(rng.uniform(0.2, 9)), minutes=float(rng.uniform(0, 600))
        )
        person = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            consent_version=study.consent_version,
            consented_at=started,
            started_at=started,
            created_at=started,
            user_agent="simulated",
            variant=variant,
            task_order=[i for i in task_ids.values() if i is not None],
        )
        session.add(person)
        session.flush()
        skill = float(rng.normal(0, 1))
        clock = started
        for position, task in enumerate(task_order(study, person), start=1):
            correct = correct_of(task, tree_variant(study, variant))
            target = correct[int(rng.integers(0, len(correct)))]
            chance = float(np.clip(difficulty[task["key"]] + 0.05 * skill, 0.3, 0.99))
            clicks, chosen = simulate_path(rng, children, parents, target, skill=chance)
            times = np.cumsum(rng.uniform(800, 4000, size=len(clicks))).astype(int)
            ms = int(times[-1] if len(times) else 0) + int(rng.integers(1500, 6000))
            clock += timedelta(milliseconds=ms + 3000)
            session.add(
                TreeAnswer(
                    participant_id=person.id,  # type: ignore[arg-type]
                    task_key=str(task["key"]),
                    position=position,
                    chosen=chosen,
                    path=[[c, int(t)] for c, t in zip(clicks, times, strict=True)],
                    seconds=ms / 1000,
                    answered_at=clock,
                )
            )
            found = chosen is not None and chosen in correct
            for q in after:  # easier when found (Sauro 2012: SEQ tracks success)
                clock += timedelta(seconds=4)
                mid = 5.6 if found else 3.6
                session.add(
                    Response(
                        participant_id=person.id,  # type: ignore[arg-type]
                        questionnaire=q.id,
                        scope=f"task:{task_ids[str(task['key'])]}",
                        task_id=task_ids[str(task["key"])],
                        item=q.items[0].id,
                        value_num=float(
                            np.clip(
                                round(rng.normal(mid + 0.4 * skill, 1.0)),
                                q.scale_min,
                                q.scale_max,
                            )
                        ),
                        answered_at=clock,
                    )
                )
        for q in closing:
            clock += timedelta(seconds=30)
            _answer(session, person, q, rng, skill, clock, comments)
        person.finished_at = clock
        person.progress = 100
        person.step = "done"
        session.add(person)
    session.commit()
