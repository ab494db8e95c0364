"""Data-quality flags: speeders, straight-lined SUS, tasks never left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from uxlab.analysis.data import StudyData, _sus_scores

#: A session shorter than this share of the median finished session is a speeder.
SPEEDER_SHARE: Final = 1 / 3
#: An attempt at a task with a site shorter than this never left the task page.
MIN_VISIT_S: Final = 3.0

#: The data-quality rules, worded for the page and the report.
QUALITY_RULES: Final = {
    "speeder": (
        "Speeder: finished the study in less than a third of the median session "
        "length of all finished participants."
    ),
    "straight_lined_sus": (
        "Straight-lined SUS: gave the same answer to all ten SUS items, although "
        "half of them are worded negatively."
    ),
    "never_left_task_page": (
        "Never left the task page: ended a task that has a website without a "
        f"recorded start, in under {MIN_VISIT_S:g} seconds, or (when the study "
        "records page events) with no event recorded on the site. Tasks a "
        "moderator judged count only when the study records page events."
    ),
    "unverified": (
        'Unverified: said "I\'m done" on a task whose goal the recorder checks, '
        "but no recorder data at all came from the attempt, so whether the goal "
        "was reached is unknown. Counted as not completed."
    ),
}


@dataclass(frozen=True, slots=True)
class QualityFlag:
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class ParticipantQuality:
    code: str
    variant: str | None
    excluded: bool
    exclusion_reason: str
    session_s: float | None
    flags: tuple[QualityFlag, ...]


def _quality(data: StudyData) -> tuple[list[ParticipantQuality], float | None]:
    sessions = np.array(
        [p.session_s for p in data.participants if p.session_s is not None],
        dtype=float,
    )
    threshold = (
        float(np.median(sessions)) * SPEEDER_SHARE if sessions.size >= 3 else None
    )
    flags: list[list[QualityFlag]] = [[] for _ in data.participants]
    if threshold is not None:
        for i, p in enumerate(data.participants):
            if p.session_s is not None and p.session_s < threshold:
                flags[i].append(
                    QualityFlag(
                        "speeder",
                        f"session {p.session_s:.0f} s, under the {threshold:.0f} s "
                        "threshold",
                    )
                )
    everyone = np.ones(data.r_participant.shape, dtype=bool)
    for q in data.questionnaires:
        if q.kind != "sus":
            continue
        people, matrix, _ = _sus_scores(data, everyone, q.id)
        same = (matrix == matrix[:, :1]).all(axis=1) if len(matrix) else []
        for person, row, flat in zip(people, matrix, same, strict=True):
            if flat:
                flags[int(person)].append(
                    QualityFlag(
                        "straight_lined_sus", f"all ten SUS answers were {row[0]:g}"
                    )
                )
    has_site = np.array([t.has_site for t in data.tasks], dtype=bool)
    if has_site.any() and data.a_task.size:
        ended = data.a_outcome != ""
        site = has_site[data.a_task] & ended
        if not data.records_events:
            # A moderator watched the task: without site recording, how long
            # it took says nothing about where the participant went.
            site &= data.a_judged != "moderator"
        duration = np.nan_to_num(data.a_duration, nan=0.0)
        stuck = site & (~data.a_started | (duration < MIN_VISIT_S))
        if data.records_events:
            stuck |= site & (data.a_events == 0)
        for i in np.unique(data.a_participant[stuck]):
            keys = sorted(
                {
                    data.tasks[j].key
                    for j in data.a_task[stuck & (data.a_participant == i)]
                }
            )
            flags[int(i)].append(
                QualityFlag("never_left_task_page", "tasks: " + ", ".join(keys))
            )
    unverified = data.a_outcome == "unverified"
    for i in np.unique(data.a_participant[unverified]):
        keys = sorted(
            {
                data.tasks[j].key
                for j in data.a_task[unverified & (data.a_participant == i)]
            }
        )
        flags[int(i)].append(QualityFlag("unverified", "tasks: " + ", ".join(keys)))
    rows = [
        ParticipantQuality(
            p.code, p.variant, p.excluded, p.exclusion_reason, p.session_s, tuple(f)
        )
        for p, f in zip(data.participants, flags, strict=True)
    ]
    return rows, threshold
