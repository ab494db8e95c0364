"""Preference tests: the study file, storing a choice, and the result."""

from __future__ import annotations

import pytest
from scipy import stats as scipy_stats
from sqlmodel import Session, select

from tests.kinds.helpers import join, live_study
from uxlab import kinds
from uxlab import participation as p
from uxlab.errors import InvalidAnswerError, StudyFileError
from uxlab.kinds.preference import (
    PREFERENCE,
    PreferenceKind,
    PreferenceSpec,
    analyse_preference,
    export_rows,
    option_order,
    record_choice,
    saved_choice,
)
from uxlab.models import Response
from uxlab.studies import parse_study

IMAGE = "first-click/shop-home.png"

STUDY = f"""\
title: Checkout buttons
kind: preference
question: Which checkout page would you rather use?
why: Why that one?
options:
  - key: a
    label: Option A
    image: {IMAGE}
    alt: Checkout page with one green button
  - key: b
    label: Option B
    image: {IMAGE}
    alt: Checkout page with two grey buttons
questionnaires: [sus]
"""


@pytest.fixture
def preference() -> PreferenceKind:
    return PREFERENCE


def _problems(text: str) -> str:
    with pytest.raises(StudyFileError) as info:
        parse_study(text, "pref.yaml")
    return str(info.value)


def test_a_preference_study_file_loads(preference) -> None:
    spec = parse_study(STUDY)
    assert isinstance(spec, PreferenceSpec)
    settings = spec.settings()
    assert [o["key"] for o in settings["options"]] == ["a", "b"]
    assert settings["why"] == "Why that one?"
    assert settings["questionnaires"] == ["sus"]


def test_one_option_is_refused_with_its_line(preference) -> None:
    text = STUDY.split("  - key: b")[0]
    message = _problems(text)
    assert "options: a preference test needs at least 2 options; got 1" in message
    assert "(line 5)" in message


def test_seven_options_are_refused(preference) -> None:
    many = "".join(f"  - key: o{i}\n    label: O{i}\n" for i in range(7))
    message = _problems(f"title: T\nkind: preference\noptions:\n{many}")
    assert "at most 6 options; got 7" in message
    assert "(line 3)" in message


def test_a_missing_image_is_named_with_its_line(preference) -> None:
    text = STUDY.replace(
        f"    image: {IMAGE}\n    alt: Checkout page with two",
        ("    image: designs/nope.png\n    alt: Checkout page with two"),
    )
    message = _problems(text)
    assert "options[1].image: no image 'designs/nope.png' under static/" in message
    assert "(line 12)" in message


def test_an_image_without_alt_text_is_refused(preference) -> None:
    text = STUDY.replace("    alt: Checkout page with one green button\n", "")
    assert "needs alt text" in _problems(text)


def test_the_kind_is_registered_with_the_builtins() -> None:
    assert "preference" in kinds.names()
    assert kinds.get_kind("preference") is PREFERENCE


def test_a_participant_chooses_once_and_a_resend_does_not_duplicate(
    session: Session, preference
) -> None:
    study = live_study(session, STUDY)
    slug, token, person = join(session, study)
    page = p.step_page(session, slug, token)
    assert (page.step, page.number, page.total) == ("choose", 2, 4)
    assert p.study_steps(study, person) == ["consent", "choose", "q:sus", "done"]
    for _ in range(2):  # a double click sends it twice
        record_choice(session, study, person, option="b", why="  Clearer  ")
        session.commit()
    rows = session.exec(select(Response).where(Response.participant_id == person.id))
    assert sorted((r.item, r.value_text) for r in rows) == [
        ("choice", "b"),
        ("why", "Clearer"),
    ]
    assert saved_choice(session, person) == ("b", "Clearer")


@pytest.mark.parametrize("option", ["c", "", None, ["a"], 1])
def test_an_option_not_in_the_study_is_refused_and_nothing_stored(
    session: Session, preference, option
) -> None:
    study = live_study(session, STUDY)
    _, _, person = join(session, study)
    with pytest.raises(InvalidAnswerError) as info:
        record_choice(session, study, person, option=option, why="x")
    assert info.value.status == 422
    assert "not one of this study's options ['a', 'b']" in str(info.value)
    session.rollback()
    assert saved_choice(session, person) == (None, "")


def test_each_participant_keeps_one_order_and_orders_vary(
    session: Session, preference
) -> None:
    study = live_study(session, STUDY)
    people = [join(session, study)[2] for _ in range(12)]
    orders = [option_order(study, person) for person in people]
    assert all(sorted(o) == ["a", "b"] for o in orders)
    assert orders == [option_order(study, person) for person in people]
    assert {tuple(o) for o in orders} == {("a", "b"), ("b", "a")}


def test_results_give_shares_test_and_reasons_without_overclaiming(
    session: Session, preference
) -> None:
    study = live_study(session, STUDY)
    choices = ["b"] * 25 + ["a"] * 15  # 40 participants, 62.5 % chose B
    for i, option in enumerate(choices):
        _, _, person = join(session, study)
        record_choice(session, study, person, option=option, why=f"reason {i}")
    session.commit()
    summary = analyse_preference(session, study)
    assert summary.counts == [15, 25] and summary.n == 40
    # scipy.stats.binomtest(25, 40, 0.5).pvalue = 0.1539 (exact, two-sided)
    expected_p = scipy_stats.binomtest(25, 40, 0.5).pvalue
    assert summary.result is not None
    assert summary.result.p_value == pytest.approx(expected_p)
    assert round(expected_p, 4) == 0.1539
    # Adjusted-Wald 95 % for 25/40 (Sauro & Lewis 2005), by hand:
    # p~ = (25 + 1.96²/2) / (40 + 1.96²) = 26.9208 / 43.8415 = 0.6140,
    # half-width 1.96·sqrt(0.6140·0.3860/43.8415) = 0.1441 → 0.470 to 0.758.
    assert summary.result.shares.low[1] == pytest.approx(0.470, abs=0.001)
    assert summary.result.shares.high[1] == pytest.approx(0.758, abs=0.001)
    assert summary.sentence.startswith(
        "Option B was chosen by 62 % (95 % CI 47 %–76 %, adjusted-wald)"
    )
    assert "with 40 participants this is not a detectable preference" in (
        summary.sentence
    )
    assert "exact binomial p = 0.15" in summary.sentence
    assert not summary.small_sample
    assert len(summary.reasons["b"]) == 25 and len(summary.reasons["a"]) == 15
    columns, table = export_rows(session, study)["preference.csv"]
    assert columns[:3] == ("participant", "variant", "choice")
    assert len(table) == 40
    assert {r["choice"] for r in table} == {"a", "b"}
    assert all(r["position"] in (1, 2) for r in table)


def test_a_small_sample_says_so(session: Session, preference) -> None:
    study = live_study(session, STUDY)
    for option in ["a", "a", "b"]:
        _, _, person = join(session, study)
        record_choice(session, study, person, option=option)
    session.commit()
    summary = analyse_preference(session, study)
    assert summary.small_sample
    assert "Only 3 participants chose" in summary.sentence
    assert summary.reasons == {"a": [], "b": []}
