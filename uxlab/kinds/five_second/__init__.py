"""Five-second tests (``kind: five_second``): what people take in at a glance.

A participant gives consent, reads what will happen, presses a button and
sees an image (their variant's) for the study's display time; then the image
is hidden and they answer recall questions (open, multiple choice, rating),
then the study's closing questionnaires. Every step is posted through the
generic step route (:func:`uxlab.participation.submit_step`, which calls
:meth:`FiveSecondKind.submit`).

The server keeps when the image was asked for, when the participant went on
to the questions and when the answers came
(:class:`~uxlab.models.FiveSecondView`), and each answer as a
:class:`~uxlab.models.FiveSecondAnswer`. Researchers code the open answers with
codes of their own (:mod:`.coding`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from uxlab.errors import InvalidAnswerError
from uxlab.kinds import CONSENT, DONE, Step, register
from uxlab.models import FiveSecondAnswer, FiveSecondView, Participant, utcnow

from .spec import (
    DEFAULT_DISPLAY_S,
    MAX_DISPLAY_S,
    MIN_DISPLAY_S,
    FiveSecondSpec,
    ImageSpec,
    QuestionSpec,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from uxlab.models import Study
    from uxlab.participation.base import StepPage

__all__ = [
    "DEFAULT_DISPLAY_S",
    "FIVE_SECOND",
    "INTRO",
    "MAX_DISPLAY_S",
    "MIN_DISPLAY_S",
    "RECALL",
    "VIEW",
    "FiveSecondKind",
    "FiveSecondSpec",
    "ImageSpec",
    "QuestionSpec",
    "note_continue",
    "image_for",
    "questions",
    "record_answers",
    "remaining_ms",
    "start_viewing",
]

#: What will happen, and the button that shows the image.
INTRO = Step("intro")
#: The image, for the display time.
VIEW = Step("view")
#: The recall questions.
RECALL = Step("recall")
#: Longest open answer kept.
MAX_TEXT = 5_000
#: The form field of question ``id`` on the recall page.
FIELD = "q-{}"


def questions(study: Study) -> list[dict[str, Any]]:
    """The study's recall questions, as kept in its settings."""
    return list(study.settings.get("questions", []))


def image_for(study: Study, participant: Participant) -> dict[str, Any]:
    """The image (``image``, ``alt``) this participant's variant sees."""
    images = study.settings.get("images", [])
    for image in images:
        if image.get("variant") == participant.variant:
            return dict(image)
    return dict(images[0]) if images else {"image": "", "alt": ""}


def display_ms(study: Study) -> int:
    """How long the image is shown, in milliseconds."""
    return round(1000 * float(study.settings.get("display_time_s", DEFAULT_DISPLAY_S)))


def view_of(session: Session, participant: Participant) -> FiveSecondView | None:
    """The participant's viewing record, if they have asked for the image."""
    return session.exec(
        select(FiveSecondView).where(FiveSecondView.participant_id == participant.id)
    ).first()


def start_viewing(session: Session, study: Study, participant: Participant) -> None:
    """Note when the participant asked for the image; the first time counts."""
    if view_of(session, participant) is not None:
        return
    assert participant.id is not None
    session.add(
        FiveSecondView(
            participant_id=participant.id,
            image=str(image_for(study, participant).get("image", "")),
            shown_at=utcnow(),
        )
    )


def remaining_ms(study: Study, view: FiveSecondView | None, now: datetime) -> int:
    """How much of the display time is left (0 once it is over).

    Counted from when the image was asked for, so a reload does not show it
    for longer.
    """
    if view is None:
        return display_ms(study)
    shown = view.shown_at
    if shown.tzinfo is None:
        shown = shown.replace(tzinfo=now.tzinfo)
    elapsed = (now - shown).total_seconds() * 1000
    return max(0, round(display_ms(study) - elapsed))


def note_continue(session: Session, participant: Participant) -> None:
    """Note when the participant went on from the image to the questions
    (the first time only). The browser hides the image at the display time;
    the server never serves it after that time."""
    view = view_of(session, participant)
    if view is not None and view.continued_at is None:
        view.continued_at = utcnow()
        session.add(view)


def _parse(question: dict[str, Any], raw: Any) -> tuple[str | None, float | None]:
    """The stored (text, number) of one posted answer; InvalidAnswerError if
    it is not one the question takes."""
    qid, kind = question["id"], question["type"]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if question.get("required", True):
            raise InvalidAnswerError(f"question {qid!r} needs an answer")
        return None, None
    if not isinstance(raw, str):
        raise InvalidAnswerError(f"the answer to {qid!r} must be text")
    if kind == "open":
        if len(raw) > MAX_TEXT:
            raise InvalidAnswerError(
                f"the answer to {qid!r} is {len(raw)} characters; "
                f"at most {MAX_TEXT} are kept"
            )
        return raw.strip(), None
    if kind == "choice":
        options = [str(o) for o in question.get("options", [])]
        if raw not in options:
            raise InvalidAnswerError(
                f"{raw!r} is not one of the options of question {qid!r}"
            )
        return raw, None
    scale = int(question.get("scale", 5))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= scale:
        raise InvalidAnswerError(
            f"the rating {raw!r} of question {qid!r} is not a whole number "
            f"from 1 to {scale}"
        )
    return None, float(int(raw))


def record_answers(
    session: Session,
    study: Study,
    participant: Participant,
    form: Mapping[str, Any],
) -> None:
    """Check every posted answer, then store them all (replacing earlier ones).

    Raises InvalidAnswerError (422) for an option not offered, a rating out
    of range, a required answer missing, an over-long text or a question the
    study does not ask; nothing is stored then. The caller commits.
    """
    asked = questions(study)
    known = {FIELD.format(q["id"]) for q in asked}
    stray = sorted(k for k in form if k.startswith("q-") and k not in known)
    if stray:
        raise InvalidAnswerError(f"this study asks no question {stray[0][2:]!r}")
    parsed = [(q["id"], _parse(q, form.get(FIELD.format(q["id"])))) for q in asked]
    assert participant.id is not None
    now = utcnow()
    existing = {
        a.question: a
        for a in session.exec(
            select(FiveSecondAnswer).where(
                FiveSecondAnswer.participant_id == participant.id
            )
        )
    }
    for qid, (text, number) in parsed:
        row = existing.get(qid) or FiveSecondAnswer(
            participant_id=participant.id, question=qid
        )
        row.value_text, row.value_num, row.answered_at = text, number, now
        session.add(row)
    view = view_of(session, participant)
    if view is not None:
        view.answered_at = now
        view.continued_at = view.continued_at or now
        session.add(view)


def saved_answers(session: Session, participant: Participant) -> dict[str, str]:
    """The participant's answers so far, as the form shows them."""
    out: dict[str, str] = {}
    for a in session.exec(
        select(FiveSecondAnswer).where(
            FiveSecondAnswer.participant_id == participant.id
        )
    ):
        if a.value_num is not None:
            out[a.question] = str(int(a.value_num))
        elif a.value_text is not None:
            out[a.question] = a.value_text
    return out


class FiveSecondKind:
    """Consent, an introduction, the image for a few seconds, recall
    questions, closing questionnaires."""

    name = "five_second"
    label = "Five-second test"
    results_template = "results/five_second.html"
    spec: type[FiveSecondSpec] = FiveSecondSpec

    def steps(self, study: Study, participant: Participant) -> list[Step]:
        from uxlab.participation.base import _closing

        return [
            CONSENT,
            INTRO,
            VIEW,
            RECALL,
            *(Step.questionnaire(q.id) for q in _closing(study)),
            DONE,
        ]

    def fill_page(self, session: Session, page: StepPage, step: Step) -> None:
        """What the introduction, image and recall pages show; the
        questionnaire steps as in every study."""
        from uxlab.participation.pages import fill_task_page

        study = page.study
        seconds = display_ms(study) / 1000
        duration = f"{seconds:g} second{'' if seconds == 1 else 's'}"
        if step == INTRO:
            page.extra = {
                "image": image_for(study, page.participant).get("image", ""),
                "intro": study.settings.get("intro", ""),
                "duration": duration,
                "count": len(questions(study)),
            }
        elif step == VIEW:
            view = view_of(session, page.participant)
            page.extra = {
                **image_for(study, page.participant),
                "duration": duration,
                "remaining_ms": remaining_ms(study, view, utcnow()),
            }
        elif step == RECALL:
            page.extra = {
                "questions": questions(study),
                "answers": saved_answers(session, page.participant),
            }
        else:
            fill_task_page(session, page, step)

    def step_label(self, study: Study, step: Step) -> str | None:
        """What the participant is doing on the kind's own steps."""
        return {
            INTRO: "Reading what will happen",
            VIEW: "Looking at the image",
            RECALL: "Answering the recall questions",
        }.get(step)

    def submit(
        self,
        session: Session,
        study: Study,
        participant: Participant,
        step: Step,
        form: Mapping[str, str],
    ) -> bool:
        """Start the image, note going on to the questions, or store the
        recall answers."""
        if step == INTRO:
            start_viewing(session, study, participant)
        elif step == VIEW:
            note_continue(session, participant)
        elif step == RECALL:
            record_answers(session, study, participant, form)
        else:
            return False
        return True

    page_templates: Mapping[str, str] = {
        "intro": "participant/five_second_intro.html",
        "view": "participant/five_second_view.html",
        "recall": "participant/five_second_recall.html",
        "consent": "participant/consent.html",
        "questionnaire": "participant/questionnaire.html",
        "done": "participant/done.html",
    }

    def chart_bytes(self, summary: Any, name: str, fmt: str) -> bytes:
        """The chart of a choice or open question (``q-<id>``) as SVG or PNG
        (NotFoundError otherwise)."""
        from uxlab import charts
        from uxlab.errors import NotFoundError

        from .results import chart_for

        if fmt not in charts.CHART_FORMATS:
            raise NotFoundError(f"no chart format {fmt!r}; use svg or png")
        fig = chart_for(summary, name)
        if fig is None:
            raise NotFoundError(
                f"no chart {name!r}; a five-second test has one per choice or "
                "open question with answers, named q-<question id>"
            )
        return charts.render(fig, fmt)

    @property
    def blueprint(self) -> Any:
        """The coding forms of the results page."""
        from .views import bp

        return bp

    @property
    def analysis(self) -> Callable[..., Any]:
        from .analysis import analyse_five_second

        return analyse_five_second

    @property
    def results(self) -> Callable[..., Any]:
        from .results import build_five_second_results

        return build_five_second_results

    @property
    def export_rows(self) -> Callable[..., Any]:
        from .export import export_rows

        return export_rows

    #: The partial its results page shares with the HTML/PDF report.
    report_template = "results/_five_second_sections.html"

    def json_export(self, session: Session, study: Study) -> dict[str, Any]:
        """The JSON export's ``five_second`` part: the questions, the codes,
        and one answer per participant × question with its codes as a list."""
        from .analysis import codes_of
        from .export import five_second_rows

        return {
            "display_time_s": study.settings.get("display_time_s", DEFAULT_DISPLAY_S),
            "images": list(study.settings.get("images", [])),
            "questions": questions(study),
            "codes": [
                {"id": c.id, "question": question, "label": c.label}
                for question, codes in codes_of(session, study).items()
                for c in codes
            ],
            "answers": five_second_rows(session, study, joined=False),
        }

    @property
    def codebook_entries(self) -> Callable[..., Any]:
        from .export import codebook_entries

        return codebook_entries

    @property
    def demo(self) -> Callable[..., Any]:
        from .demo import simulate_five_second

        return simulate_five_second


FIVE_SECOND = register(FiveSecondKind())
