"""The task-based usability study, uxlab's first kind (``kind: usability``).

Participants give consent, do each task in their own order (a page of the
site to try, or a first click on an image), answer the after-task
questionnaires for it if the study has any, then the end-of-study
questionnaires. The work is done by the modules that grew with it:
:mod:`uxlab.studies` (the file), :mod:`uxlab.participation` and
:mod:`uxlab.recorder` (taking part), :mod:`uxlab.analysis`, :mod:`uxlab.export`
and :mod:`uxlab.demo`; this kind is how the rest of uxlab finds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from uxlab.kinds import CONSENT, DONE, Step, register

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Participant, Study
    from uxlab.participation.base import StepPage
    from uxlab.studies import StudySpec


class UsabilityKind:
    """Tasks (page or first-click), after-task and end-of-study questionnaires."""

    name = "usability"
    label = "Usability test"
    results_template = "results/results.html"

    @property
    def spec(self) -> type[StudySpec]:
        from uxlab.studies import StudySpec

        return StudySpec

    def steps(self, study: Study, participant: Participant) -> list[Step]:
        """consent, task:0 [seq:0], task:1 [seq:1] ..., q:<id> ..., done."""
        from uxlab.participation.base import _closing

        steps = [CONSENT]
        has_after = bool(study.settings.get("after_each_task"))
        for i in range(len(participant.task_order)):
            steps.append(Step.task(i))
            if has_after:
                steps.append(Step.seq(i))
        steps += [Step.questionnaire(q.id) for q in _closing(study)]
        steps.append(DONE)
        return steps

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        """A task step's task and attempt; a questionnaire step's questions."""
        from uxlab.participation.pages import fill_task_page

        fill_task_page(session, page, step)

    @property
    def page_templates(self) -> Mapping[str, str]:
        return {
            "consent": "participant/consent.html",
            "task": "participant/task.html",
            "questionnaire": "participant/questionnaire.html",
            "done": "participant/done.html",
        }

    @property
    def analysis(self) -> Callable[..., Any]:
        from uxlab.analysis import analyse_study

        return analyse_study

    @property
    def results(self) -> Callable[..., Any]:
        from uxlab.report import build_results

        return build_results

    @property
    def export_rows(self) -> Callable[..., Any]:
        from uxlab.export import usability_tables

        return usability_tables

    @property
    def demo(self) -> Callable[..., Any]:
        from uxlab.demo import simulate_participants

        return simulate_participants


USABILITY = register(UsabilityKind())
