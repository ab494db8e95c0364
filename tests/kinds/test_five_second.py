"""Five-second tests: the study file, storing answers, and the summaries."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats
from sqlmodel import Session, select

from tests.kinds.helpers import join, live_study
from uxlab import kinds
from uxlab import participation as p
from uxlab.errors import InvalidAnswerError, StudyFileError
from uxlab.kinds.five_second import (
    FIVE_SECOND,
    FiveSecondSpec,
    image_for,
    record_answers,
    remaining_ms,
    start_viewing,
    view_of,
)
from uxlab.kinds.five_second.analysis import analyse_five_second
from uxlab.kinds.five_second.coding import add_code, set_codes
from uxlab.kinds.five_second.export import export_rows
from uxlab.models import FiveSecondAnswer, Study
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import load_study_file, parse_study

IMAGE = "five-second/homepage-a.svg"

STUDY = f"""\
title: Home page at a glance
kind: five_second
image: {IMAGE}
alt: A library's home page with a green Get a card button
display_time_s: 5
questions:
  - id: purpose
    type: open
    text: What was the page for?
  - id: action
    type: choice
    text: What could you do first?
    options: [Get a card, Buy books, Book a room]
  - id: clarity
    type: rating
    text: How clear was it?
    scale: 5
    labels: [Not clear at all, Very clear]
"""


def _problems(text: str) -> str:
    with pytest.raises(StudyFileError) as info:
        parse_study(text, "five.yaml")
    return str(info.value)


def test_the_study_file_and_the_template_load() -> None:
    spec = parse_study(STUDY)
    assert isinstance(spec, FiveSecondSpec)
    settings = spec.settings()
    assert settings["display_time_s"] == 5
    assert settings["images"] == [
        {
            "variant": None,
            "image": IMAGE,
            "alt": "A library's home page with a green Get a card button",
        }
    ]
    assert [q["type"] for q in settings["questions"]] == ["open", "choice", "rating"]
    template = load_study_file(STUDY_TEMPLATES_DIR / "five-second-homepage.yaml")
    assert [i["variant"] for i in template.settings()["images"]] == ["a", "b"]
    assert kinds.get_kind("five_second") is FIVE_SECOND
    assert "five_second" in kinds.names()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (f"image: {IMAGE}", "image: five-second/nope.png"),
            "image: no image 'five-second/nope.png' under static/ (line 3)",
        ),
        (
            ("alt: A library's home page with a green Get a card button\n", ""),
            "the image needs alt text (what it shows) (line 1)",
        ),
        (
            (
                "    options: [Get a card, Buy books, Book a room]",
                "    options: [Only]",
            ),
            "questions[1]: a multiple-choice question needs at least 2 options; "
            "got 1 (line 10)",
        ),
        (
            ("display_time_s: 5", "display_time_s: 90"),
            "display_time_s: Input should be less than or equal to 60 (line 5)",
        ),
        (
            ("display_time_s: 5", "display_time_s: 0.5"),
            "display_time_s: Input should be greater than or equal to 1 (line 5)",
        ),
        (
            ("    scale: 5\n", "    scale: 4\n"),
            "questions[2]: a rating scale has 5 or 7 points, not 4 (line 14)",
        ),
        (
            ("    labels: [Not clear at all, Very clear]\n", ""),
            "a rating question needs labels for its two ends",
        ),
        (
            ("  - id: action", "  - id: purpose"),
            "questions: question ids must be unique (line 6)",
        ),
        (
            ("    type: choice", "    type: slider"),
            "questions[1].type: Input should be 'open', 'choice' or 'rating' (line 11)",
        ),
    ],
)
def test_bad_study_files_are_refused_with_their_line(
    change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in STUDY
    assert expected in _problems(STUDY.replace(old, new))


def test_a_file_without_questions_says_so() -> None:
    text = STUDY.split("questions:")[0]
    assert "questions: a five-second test needs at least one recall question" in (
        _problems(text)
    )


def test_images_per_variant_must_match_the_variants() -> None:
    text = STUDY.replace(
        f"image: {IMAGE}\nalt: A library's home page with a green Get a card button\n",
        "variants: [{key: a}, {key: b}]\n"
        f"images:\n  - variant: a\n    image: {IMAGE}\n    alt: Page A\n",
    )
    assert "give one image for each variant ['a', 'b']; got ['a']" in _problems(text)


ANSWERS = {"q-purpose": "A library", "q-action": "Buy books", "q-clarity": "4"}


def test_a_participant_goes_through_intro_image_and_questions(
    session: Session,
) -> None:
    study = live_study(session, STUDY)
    slug, token, person = join(session, study)
    assert p.study_steps(study, person) == [
        "consent",
        "intro",
        "view",
        "recall",
        "done",
    ]
    page = p.step_page(session, slug, token)
    assert page.step == "intro" and page.extra["duration"] == "5 seconds"
    assert p.submit_step(session, slug, token, step="intro", form={})
    page = p.step_page(session, slug, token)
    assert page.step == "view"
    assert page.extra["image"] == IMAGE
    # Served at once after the start: nearly the whole five seconds are left.
    assert 4000 < page.extra["remaining_ms"] <= 5000
    assert p.submit_step(session, slug, token, step="view", form={})
    assert p.submit_step(session, slug, token, step="recall", form=ANSWERS)
    # A resend of the same answers (a double click) changes nothing.
    assert not p.submit_step(session, slug, token, step="recall", form=ANSWERS)
    stored = session.exec(select(FiveSecondAnswer)).all()
    assert sorted((a.question, a.value_text, a.value_num) for a in stored) == [
        ("action", "Buy books", None),
        ("clarity", None, 4.0),
        ("purpose", "A library", None),
    ]
    view = view_of(session, person)
    assert view is not None and view.continued_at is not None
    assert view.shown_at <= view.continued_at <= view.answered_at  # type: ignore[operator]


def test_the_display_time_counts_from_the_start_not_the_reload(
    session: Session,
) -> None:
    from datetime import timedelta

    study = live_study(session, STUDY)
    _, _, person = join(session, study)
    start_viewing(session, study, person)
    session.commit()
    view = view_of(session, person)
    assert view is not None
    later = view.shown_at + timedelta(seconds=3)
    assert remaining_ms(study, view, later) == 2000
    assert remaining_ms(study, view, later + timedelta(seconds=10)) == 0
    assert image_for(study, person)["image"] == IMAGE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"q-action": "Steal books"}, "'Steal books' is not one of the options"),
        ({"q-clarity": "6"}, "the rating '6' of question 'clarity' is not a whole"),
        ({"q-clarity": "0"}, "not a whole number from 1 to 5"),
        ({"q-clarity": "3.5"}, "not a whole number from 1 to 5"),
        ({"q-action": ""}, "question 'action' needs an answer"),
        ({"q-sneaky": "x"}, "this study asks no question 'sneaky'"),
        ({"q-purpose": "x" * 5001}, "is 5001 characters; at most 5000 are kept"),
    ],
)
def test_tampered_answers_are_refused_and_nothing_is_stored(
    session: Session, change: dict[str, str], reason: str
) -> None:
    study = live_study(session, STUDY)
    _, _, person = join(session, study)
    with pytest.raises(InvalidAnswerError) as info:
        record_answers(session, study, person, {**ANSWERS, **change})
    assert info.value.status == 422
    assert reason in str(info.value)
    session.rollback()
    assert session.exec(select(FiveSecondAnswer)).all() == []


def _answered(session: Session, study: Study, answers: list[dict[str, str]]) -> None:
    for form in answers:
        _, _, person = join(session, study)
        start_viewing(session, study, person)
        record_answers(session, study, person, form)
    session.commit()


def test_the_summaries_use_adjusted_wald_and_the_t_interval(
    session: Session,
) -> None:
    study = live_study(session, STUDY)
    ratings = [5, 4, 4, 3, 5, 2, 4, 4, 5, 3]
    choices = ["Get a card"] * 7 + ["Buy books"] * 3
    texts = ["e-books for free", "a library", "library, e-books", "no idea"] + [
        "library"
    ] * 6
    _answered(
        session,
        study,
        [
            {"q-purpose": t, "q-action": c, "q-clarity": str(r)}
            for t, c, r in zip(texts, choices, ratings, strict=True)
        ],
    )
    mentions = add_code(session, study, "purpose", "mentions e-books")
    library = add_code(session, study, "purpose", "library")
    session.commit()
    open_answers = session.exec(
        select(FiveSecondAnswer).where(FiveSecondAnswer.question == "purpose")
    ).all()
    for a in open_answers:
        wanted = []
        if "e-books" in (a.value_text or ""):
            wanted.append(mentions.id)
        if "library" in (a.value_text or ""):
            wanted.append(library.id)
        set_codes(session, study, a.id, wanted)  # type: ignore[arg-type]
    session.commit()
    summary = analyse_five_second(session, study)
    purpose, action, clarity = summary.questions
    assert summary.n == 10
    # Choice: 7 of 10 chose "Get a card". Adjusted-Wald 95 % (Sauro & Lewis
    # 2005): p~ = (7 + 1.96²/2)/(10 + 1.96²) = 8.9208/13.8415 = 0.6445,
    # half-width 1.96·sqrt(0.6445·0.3555/13.8415) = 0.2522 → 0.392 to 0.897.
    card = action.shares[0]
    assert (card.label, card.count) == ("Get a card", 7)
    assert card.result is not None
    assert card.result.ci.low == pytest.approx(0.392, abs=0.001)
    assert card.result.ci.high == pytest.approx(0.897, abs=0.001)
    assert action.small_sample
    # Rating: mean 3.9, sd 0.994, t(0.975, 9) = 2.2622 (scipy.stats.t.ppf),
    # half-width 2.2622 · 0.994/sqrt(10) = 0.711 → 3.19 to 4.61.
    assert clarity.rating is not None
    assert clarity.rating.mean == pytest.approx(3.9)
    sd = float(scipy_stats.tstd(ratings))
    half = scipy_stats.t.ppf(0.975, 9) * sd / math.sqrt(10)
    assert clarity.rating.ci is not None
    assert clarity.rating.ci.low == pytest.approx(3.9 - half)
    assert round(clarity.rating.ci.low, 2) == 3.19
    assert round(clarity.rating.ci.high, 2) == 4.61
    assert clarity.distribution == [0, 1, 2, 4, 3]
    # Codes: 2 of 10 answers mention e-books; adjusted-Wald 95 %:
    # p~ = (2 + 1.9208)/13.8415 = 0.2833, half-width
    # 1.96·sqrt(0.2833·0.7167/13.8415) = 0.2374 → 0.046 to 0.521.
    by_label = {s.label: s for s in purpose.shares}
    assert by_label["mentions e-books"].count == 2
    assert by_label["library"].count == 8
    ebooks = by_label["mentions e-books"].result
    assert ebooks is not None
    assert ebooks.ci.low == pytest.approx(0.046, abs=0.001)
    assert ebooks.ci.high == pytest.approx(0.521, abs=0.001)
    assert purpose.uncoded == 1  # "no idea"
    # The export: one row per participant × question, codes joined.
    columns, rows = export_rows(session, study)["five_second.csv"]
    assert len(rows) == 30
    assert columns[:4] == ("participant", "variant", "image", "question")
    coded = [r for r in rows if r["answer"] == "library, e-books"]
    assert coded[0]["codes"] == "mentions e-books | library"
    assert {r["rating"] for r in rows if r["question"] == "clarity"} == {2, 3, 4, 5}
    assert all(r["shown_at"] for r in rows)


def test_codes_belong_to_one_open_question(session: Session) -> None:
    from uxlab.errors import NotFoundError
    from uxlab.kinds.five_second.coding import CodeError

    study = live_study(session, STUDY)
    _answered(session, study, [ANSWERS])
    with pytest.raises(CodeError, match="has no open answers to code"):
        add_code(session, study, "action", "x")
    with pytest.raises(NotFoundError):
        add_code(session, study, "nope", "x")
    code = add_code(session, study, "purpose", "  library   site ")
    session.commit()
    assert code.label == "library site"
    with pytest.raises(CodeError, match="There is a code “library site” already"):
        add_code(session, study, "purpose", "Library  Site")
    choice = session.exec(
        select(FiveSecondAnswer).where(FiveSecondAnswer.question == "action")
    ).one()
    with pytest.raises(CodeError, match="question 'action' has no open answers"):
        set_codes(session, study, choice.id, [code.id])  # type: ignore[arg-type]


def test_withdrawing_deletes_the_answers_view_and_code_ticks(
    session: Session,
) -> None:
    from uxlab.coding import Code, FiveSecondAnswerCode
    from uxlab.models import FiveSecondView

    study = live_study(session, STUDY)
    slug, token, person = join(session, study)
    p.submit_step(session, slug, token, step="intro", form={})
    p.submit_step(session, slug, token, step="view", form={})
    p.submit_step(session, slug, token, step="recall", form=ANSWERS)
    code = add_code(session, study, "purpose", "library")
    session.commit()
    answer = session.exec(
        select(FiveSecondAnswer).where(FiveSecondAnswer.question == "purpose")
    ).one()
    set_codes(session, study, answer.id, [code.id])  # type: ignore[arg-type,list-item]
    session.commit()
    assert p.withdraw(session, slug, token)
    session.expire_all()
    assert session.exec(select(FiveSecondAnswer)).all() == []
    assert session.exec(select(FiveSecondView)).all() == []
    assert session.exec(select(FiveSecondAnswerCode)).all() == []
    # The researchers' codes stay: they belong to the study, not to a person.
    assert [c.label for c in session.exec(select(Code))] == ["library"]
