"""uxlab.analysis: database rows -> numpy arrays -> uxlab.stats -> StudyReport."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, col, select

from uxlab import stats
from uxlab.accounts import create_researcher
from uxlab.analysis import (
    AnalysisOptionError,
    analyse_study,
    compare_studies,
    compare_variants,
    completion_sentence,
    parse_confidence_level,
    parse_flag,
    plan_sample_size,
    set_exclusion,
)
from uxlab.demo import simulate_participants
from uxlab.errors import NotFoundError
from uxlab.models import (
    Outcome,
    Participant,
    Response,
    Study,
    Task,
    TaskAttempt,
    utcnow,
)
from uxlab.studies import import_study, load_study_file, parse_study

TEMPLATES = Path(__file__).parent.parent / "study_templates"


def _study(session: Session, name: str, n: int, seed: int = 3) -> Study:
    owner = create_researcher(
        session, email=f"{name.split('.')[0]}@example.org", password="long-enough"
    )
    study = import_study(
        session, load_study_file(TEMPLATES / name), owner=owner, source_text=""
    )
    simulate_participants(session, study, n, np.random.default_rng(seed))
    return study


@pytest.fixture(name="shop")
def shop_fixture(session: Session) -> Study:
    return _study(session, "ecommerce-tasks.yaml", 20)


def _attempts(session: Session, study: Study, task: Task) -> list[TaskAttempt]:
    """Attempts of a task by included participants, read independently of analysis."""
    return list(
        session.exec(
            select(TaskAttempt)
            .join(Participant, col(Participant.id) == TaskAttempt.participant_id)
            .where(Participant.study_id == study.id)
            .where(TaskAttempt.task_id == task.id)
            .where(col(Participant.excluded).is_(False))
        ).all()
    )


def _tasks(session: Session, study: Study) -> list[Task]:
    return list(
        session.exec(
            select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
        ).all()
    )


def test_task_figures_equal_the_library(session: Session, shop: Study) -> None:
    report = analyse_study(session, shop, confidence_level=0.9)
    assert [t.key for t in report.tasks] == ["find-jacket", "returns", "checkout"]
    for task, result in zip(_tasks(session, shop), report.tasks, strict=True):
        attempts = [a for a in _attempts(session, shop, task) if a.outcome]
        wins = sum(a.outcome == Outcome.success for a in attempts)
        assert result.completion == stats.completion_rate(
            wins, len(attempts), confidence_level=0.9
        )
        times = [a.duration_s for a in attempts]
        success = [a.outcome == Outcome.success for a in attempts]
        assert result.times == stats.task_times(times, success, confidence_level=0.9)
        seq = session.exec(
            select(Response.value_num).where(Response.task_id == task.id)
        ).all()
        assert result.seq is not None
        assert result.seq.result == stats.rating_summary(
            seq, scale=(1, 7), confidence_level=0.9, benchmark=5.5
        )


def test_sus_equals_the_library(session: Session, shop: Study) -> None:
    report = analyse_study(session, shop)
    sus = next(q for q in report.questionnaires if q.kind == "sus")
    rows = session.exec(
        select(Response.participant_id, Response.item, Response.value_num).where(
            Response.questionnaire == "sus"
        )
    ).all()
    answers: dict[int, dict[str, float]] = {}
    for pid, item, value in rows:
        answers.setdefault(pid, {})[item] = value
    matrix = [[a[f"q{i}"] for i in range(1, 11)] for a in answers.values()]
    scores = stats.sus_score(matrix)
    assert sorted(sus.sus_scores) == sorted(scores.tolist())
    assert sus.sus == stats.sus_summary(scores)
    comments = next(q for q in report.questionnaires if q.kind == "open_text")
    assert comments.n == len(comments.comments) > 0
    # No title in the study file: the question itself heads the answers.
    assert comments.title == (
        "Is there anything else you would like to tell us about the shop?"
    )


def test_overview_and_funnel(session: Session, shop: Study) -> None:
    report = analyse_study(session, shop)
    people = session.exec(select(Participant).where(Participant.study_id == shop.id))
    people = list(people)
    o = report.overview
    assert o.started == len(people) == 20
    assert o.finished == sum(p.finished_at is not None for p in people)
    steps = {s.label: s.count for s in o.funnel}
    assert steps["Started"] == 20
    assert steps["Finished"] == o.finished
    assert steps["Task 1 started"] >= steps["Task 2 started"] >= steps["Task 3 started"]
    sessions = [
        (p.finished_at - p.started_at).total_seconds()
        for p in people
        if p.finished_at and p.started_at
    ]
    assert o.median_session_s == pytest.approx(float(np.median(sessions)))


def test_someone_who_only_opened_the_link_is_not_counted(
    session: Session, shop: Study
) -> None:
    """Started, counted and the funnel agree when a visitor never consents."""
    from uxlab.tokens import hash_token, new_code, new_token

    session.add(
        Participant(
            study_id=shop.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            task_order=[],
            step="consent",
        )
    )
    session.commit()
    o = analyse_study(session, shop).overview
    assert o.started == o.included == 20
    assert {s.label: s.count for s in o.funnel}["Started"] == 20


def test_exclusions_change_the_numbers(session: Session, shop: Study) -> None:
    before = analyse_study(session, shop)
    people = list(
        session.exec(select(Participant).where(Participant.study_id == shop.id))
    )
    gone = people[:4]
    for p in gone:
        set_exclusion(session, shop, p.code, excluded=True, reason="test")
    after = analyse_study(session, shop)
    assert after.overview.excluded == 4
    assert after.overview.included == before.overview.included - 4
    first = _tasks(session, shop)[0]
    lost = [
        a
        for a in session.exec(
            select(TaskAttempt).where(TaskAttempt.task_id == first.id)
        ).all()
        if a.participant_id in {p.id for p in gone} and a.outcome
    ]
    assert before.tasks[0].completion and after.tasks[0].completion
    assert after.tasks[0].completion.trials == (
        before.tasks[0].completion.trials - len(lost)
    )
    # Shown with exclusions again, the numbers are the original ones.
    again = analyse_study(session, shop, include_excluded=True)
    assert again.tasks == before.tasks
    assert {p.code for p in after.flagged} >= {p.code for p in gone}
    set_exclusion(session, shop, gone[0].code, excluded=False)
    assert analyse_study(session, shop).overview.excluded == 3


def test_exclusion_needs_a_reason_and_a_participant(
    session: Session, shop: Study
) -> None:
    code = session.exec(select(Participant.code)).first()
    assert code is not None
    with pytest.raises(AnalysisOptionError, match="reason"):
        set_exclusion(session, shop, code, excluded=True, reason="  ")
    with pytest.raises(NotFoundError):
        set_exclusion(session, shop, "P-NOPE", excluded=True, reason="x")


def test_quality_flags(session: Session, shop: Study) -> None:
    people = list(
        session.exec(
            select(Participant)
            .where(Participant.study_id == shop.id)
            .where(col(Participant.finished_at).is_not(None))
        ).all()
    )
    speeder, flat, stuck = people[0], people[1], people[2]
    assert speeder.started_at is not None
    speeder.finished_at = speeder.started_at + timedelta(seconds=20)
    for r in session.exec(
        select(Response)
        .where(Response.participant_id == flat.id)
        .where(Response.questionnaire == "sus")
    ).all():
        r.value_num = 4
        session.add(r)
    attempt = session.exec(
        select(TaskAttempt).where(TaskAttempt.participant_id == stuck.id)
    ).first()
    assert attempt is not None and attempt.started_at is not None
    attempt.ended_at = attempt.started_at + timedelta(seconds=1)
    session.add_all([speeder, attempt])
    session.commit()
    report = analyse_study(session, shop)
    flags = {p.code: {f.kind for f in p.flags} for p in report.flagged}
    assert "speeder" in flags[speeder.code]
    assert "straight_lined_sus" in flags[flat.code]
    assert "never_left_task_page" in flags[stuck.code]
    counts = dict(report.flag_counts)
    assert counts["speeder"] >= 1 and counts["straight_lined_sus"] >= 1
    assert report.speeder_threshold_s is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 0.95),
        ("", 0.95),
        ("0.8", 0.8),
        ("0.90", 0.9),
        ("0.99", 0.99),
        (0.95, 0.95),
    ],
)
def test_parse_confidence_level(raw, expected) -> None:
    assert parse_confidence_level(raw) == expected


@pytest.mark.parametrize("raw", ["0.5", "95", "abc", "nan", "0.951"])
def test_bad_confidence_level(raw) -> None:
    with pytest.raises(AnalysisOptionError, match=r"0\.8, 0\.9, 0\.95, 0\.99"):
        parse_confidence_level(raw)


def test_parse_flag() -> None:
    assert parse_flag("x", "1") and parse_flag("x", "true")
    assert not parse_flag("x", "0") and not parse_flag("x", None)
    with pytest.raises(AnalysisOptionError, match="must be 0 or 1"):
        parse_flag("include_excluded", "maybe")


_ONE_TASK = """
title: {title}
tasks:
  - id: find
    title: Find it
    prompt: Find it.
after_each_task: [seq]
questionnaires: [sus]
"""


def _with_outcomes(session: Session, owner, title: str, wins: int, n: int) -> Study:
    study = import_study(
        session, parse_study(_ONE_TASK.format(title=title)), owner=owner, source_text=""
    )
    task = _tasks(session, study)[0]
    start = utcnow()
    for i in range(n):
        p = Participant(
            study_id=study.id, token_hash=f"{title}{i}".ljust(64, "x"),
            code=f"{title[:2]}{i:04d}", started_at=start, finished_at=start + timedelta(minutes=5),
        )  # fmt: skip
        session.add(p)
        session.flush()
        success = i < wins
        session.add(
            TaskAttempt(
                participant_id=p.id, task_id=task.id, position=1, started_at=start,
                ended_at=start + timedelta(seconds=30 + i % 7 + (0 if success else 20)),
                outcome=Outcome.success if success else Outcome.abandoned,
            )
        )  # fmt: skip
    session.commit()
    return study


def test_compare_studies_sentence_for_a_known_difference(session: Session) -> None:
    owner = create_researcher(session, email="c@example.org", password="long-enough")
    a = _with_outcomes(session, owner, "Old", 15, 35)
    b = _with_outcomes(session, owner, "New", 40, 60)
    comparison = compare_studies(session, a, b)
    (row,) = comparison.tasks
    # uxlab.stats doctest: compare_completion(40, 60, 15, 35) -> 0.2381,
    # CI 0.0306 to 0.4278, p = 0.0241 (N-1 two-proportion test).
    assert row.completion == stats.compare_completion(40, 60, 15, 35)
    assert row.sentences[0] == (
        "Completion rate: New is higher by 24 points (95 % CI 3 to 43 points; "
        "p = 0.024)"
    )
    assert row.time is not None and row.time.difference == pytest.approx(
        stats.compare_times(
            [30 + i % 7 for i in range(40)], [30 + i % 7 for i in range(15)]
        ).difference
    )
    assert comparison.sus is None and comparison.sus_sentence == ""
    at_99 = compare_studies(session, a, b, confidence_level=0.99)
    # p = 0.024 > 0.01: at 99 % the interval holds 0, and the verdict says so.
    assert (
        at_99.tasks[0]
        .sentences[0]
        .startswith(
            "Completion rate: no detectable difference; the 99 % interval runs from −"
        )
    )


def test_completion_sentence_lower_and_same() -> None:
    lower = stats.compare_completion(15, 35, 40, 60)
    assert completion_sentence(lower, "A", "B", 0.95).startswith(
        "Completion rate: B is lower by 24 points (95 % CI −43 to −3 points"
    )
    same = stats.compare_completion(5, 10, 5, 10)
    # An interval that holds 0 is no detectable difference, and says how far
    # it reaches either way.
    assert completion_sentence(same, "A", "B", 0.95).startswith(
        "Completion rate: no detectable difference; the 95 % interval runs from −"
    )


def test_compare_variants(session: Session) -> None:
    study = _study(session, "ab-checkout.json", 40, seed=5)
    comparison = compare_variants(session, study, "A", "B", confidence_level=0.9)
    assert comparison.label_b == "Design B"
    assert comparison.n_a == comparison.n_b == 20
    assert [t.key for t in comparison.tasks] == ["find-jacket", "returns", "checkout"]
    for row in comparison.tasks:
        assert row.completion_a and row.completion_b and row.completion
        expected = stats.compare_completion(
            row.completion_b.successes, row.completion_b.trials,
            row.completion_a.successes, row.completion_a.trials, confidence_level=0.9,
            method="auto",
        )  # fmt: skip
        assert row.completion == expected
        assert row.sentences[0].startswith("Completion rate: ")
    assert comparison.sus is not None
    assert comparison.sus_sentence.startswith("SUS score: ")
    with pytest.raises(AnalysisOptionError, match="variant"):
        compare_variants(session, study, "A", "C")
    with pytest.raises(AnalysisOptionError, match="two different"):
        compare_variants(session, study, "A", "A")


def test_plan_sample_size_uses_the_library() -> None:
    plan = plan_sample_size({"margin": "10", "proportion": "50", "cl": "0.95"})
    # Sauro & Lewis: (0.5, +/-0.10, 95 %) -> 93 with the adjusted-Wald formula.
    assert plan.n_proportion == 93
    assert plan.n_mean == stats.sample_size_for_mean(5, sd=17.7)
    assert plan.n_discovery == stats.sample_size_for_discovery(0.10, 0.85)
    assert dict(plan.seen_with_n)[5] == stats.problem_discovery(0.10, 5)
    # stats-methods.md section 7: 90 %, +/-10 points -> 41 (the z^2-shortcut
    # gave 31, which delivers only +/-11.7 points).
    assert plan_sample_size({"margin": "10", "proportion": "90"}).n_proportion == 41
    with pytest.raises(AnalysisOptionError, match="margin"):
        plan_sample_size({"margin": "0"})
    with pytest.raises(AnalysisOptionError, match="goal"):
        plan_sample_size({"goal": "100"})


def test_study_without_data(session: Session) -> None:
    owner = create_researcher(session, email="e@example.org", password="long-enough")
    study = import_study(
        session,
        parse_study(_ONE_TASK.format(title="Empty")),
        owner=owner,
        source_text="",
    )
    report = analyse_study(session, study)
    assert report.overview.started == 0
    assert report.tasks[0].completion is None
    assert report.questionnaires[0].sus is None
    assert report.flagged == ()


def test_only_rules_that_fit_the_design_are_listed(session: Session) -> None:
    # A survey with NPS/CSAT/CES and no tasks: neither SUS nor a site to leave.
    survey = _study(session, "touchpoint-survey.yaml", 5)
    assert [kind for kind, _ in analyse_study(session, survey).flag_counts] == [
        "speeder"
    ]
    shop = _study(session, "ecommerce-tasks.yaml", 5, seed=4)
    assert [kind for kind, _ in analyse_study(session, shop).flag_counts] == [
        "speeder",
        "straight_lined_sus",
        "never_left_task_page",
        # ecommerce-tasks.yaml has url_matches criteria: "I'm done" can be
        # unverified there.
        "unverified",
    ]


def test_every_completion_verdict_agrees_with_its_interval() -> None:
    # All pairs up to 8 per group, the range where the N-1 test and the
    # adjusted-Wald interval (Agresti & Caffo 2000) disagree most often: the
    # sentence calls a difference exactly when the interval it prints leaves 0 out.
    for n1, n2 in ((5, 5), (8, 6), (4, 8)):
        for x1 in range(n1 + 1):
            for x2 in range(n2 + 1):
                r = stats.compare_completion(x2, n2, x1, n1, method="auto")
                text = completion_sentence(r, "A", "B", 0.95)
                if r.ci.low > 0:
                    assert "B is higher" in text, text
                elif r.ci.high < 0:
                    assert "B is lower" in text, text
                else:
                    assert "no detectable difference" in text, text


def test_fisher_where_an_expected_count_is_under_one(session: Session) -> None:
    owner = create_researcher(session, email="f@example.org", password="long-enough")
    a = _with_outcomes(session, owner, "Before", 0, 4)
    b = _with_outcomes(session, owner, "After", 1, 4)
    (row,) = compare_studies(session, a, b).tasks
    # Expected successes per group 0.5 < 1: Fisher-Irwin (Campbell 2007);
    # scipy.stats.fisher_exact([[1, 3], [0, 4]]) gives p = 1.
    assert row.completion is not None
    assert row.completion.method == "fisher-irwin exact"
    assert row.completion.p_value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("policy", "n", "mean", "dropped", "imputed"),
    [
        # Nine perfect answers and item 10 blank: 95.0 with the centre point
        # imputed (Brooke 1996), 100.0 prorated (Lewis & Sauro 2017); the
        # reference's worked example. Dropped, only the three 75s remain.
        ("drop", 3, 75.0, 1, 0),
        ("impute-center", 4, (3 * 75 + 95) / 4, 0, 1),
        ("prorate", 4, (3 * 75 + 100) / 4, 0, 1),
    ],
)
def test_sus_missing_item_policies(
    session: Session, policy: str, n: int, mean: float, dropped: int, imputed: int
) -> None:
    from tests.results_data import make_study, owner

    complete = [4, 2, 4, 2, 4, 2, 4, 2, 4, 2]
    blank = [5, 1, 5, 1, 5, 1, 5, 1, 5, None]
    # Two blanks: more than the one item either method was validated for.
    two_blank = [5, 1, 5, 1, 5, 1, 5, 1, None, None]
    people = [{"sus": complete}] * 3 + [{"sus": blank}, {"sus": two_blank}]
    extra = f"sus_missing: {policy}"
    study = make_study(session, owner(session), "Missing", people, extra=extra)
    (sus,) = analyse_study(session, study).questionnaires
    assert sus.n == n and sus.sus is not None
    assert sus.sus.mean == pytest.approx(mean)
    assert (sus.sus_missing, sus.sus_dropped, sus.sus_imputed) == (
        policy,
        dropped + 1,
        imputed,
    )
