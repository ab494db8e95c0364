"""What a researcher reads on the results and Compare pages, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.results_data import log_in, make_study, owner, with_outcomes

pytestmark = pytest.mark.browser


def test_compare_verdict_follows_the_interval(
    page: Page, live_server, session: Session
) -> None:
    me = owner(session)
    old = with_outcomes(session, me, "Old checkout", 0, 5)
    new = with_outcomes(session, me, "New checkout", 3, 5)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/compare?a={old.slug}&b={new.slug}")
    row = page.locator('tr[data-task="find"]')
    # 3/5 against 0/5: the N-1 two-proportion test gives p = 0.0495, under 0.05,
    # while the adjusted-Wald interval of the difference (Agresti & Caffo 2000,
    # z^2/4 per group; QUX ch. 5) runs from -1.6 to 88.3 points and so includes 0
    # (values from uxlab.stats.compare_completion, cross-checked by hand).
    expect(row).to_contain_text(
        "Completion rate: no detectable difference; the 95 % interval runs "
        "from −2 to 88 points"
    )
    expect(row).to_contain_text("p = 0.050")
    expect(row).not_to_contain_text("higher")
    expect(page.get_by_text("means the interval excludes")).to_have_count(0)


def test_compare_names_fishers_test_for_tiny_counts(
    page: Page, live_server, session: Session
) -> None:
    me = owner(session)
    old = with_outcomes(session, me, "Old form", 0, 4)
    new = with_outcomes(session, me, "New form", 1, 4)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/compare?a={old.slug}&b={new.slug}")
    row = page.locator('tr[data-task="find"]')
    # 1 success in 8 attempts: the expected count of successes per group is 0.5,
    # under 1, so Campbell (2007) prescribes the Fisher-Irwin test; two-sided
    # p = 1 (scipy.stats.fisher_exact([[1, 3], [0, 4]])).
    expect(row).to_contain_text("Fisher's exact test, p = 1.00")
    expect(row).to_contain_text("no detectable difference")


def test_compare_states_a_clear_difference(
    page: Page, live_server, session: Session
) -> None:
    me = owner(session)
    old = with_outcomes(session, me, "Old", 15, 35)
    new = with_outcomes(session, me, "New", 40, 60)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/compare?a={old.slug}&b={new.slug}")
    # uxlab.stats doctest of compare_completion(40, 60, 15, 35): 0.2381,
    # CI 0.0306 to 0.4278, p = 0.0241 (N-1 two-proportion test).
    expect(page.locator('tr[data-task="find"]')).to_contain_text(
        "Completion rate: New is higher by 24 points (95 % CI 3 to 43 points; "
        "p = 0.024)"
    )


def _nps_study(session: Session):
    me = owner(session)
    # 9 of 11 complete the task; NPS answers: 2 promoters, 6 passives,
    # 9 detractors of 17 -> (2 - 9) / 17 = -41.2 (Reichheld 2003).
    people = [
        {"outcome": "success" if i < 9 else "abandoned", "seconds": 30 + i}
        for i in range(11)
    ] + [{} for _ in range(6)]
    for i, person in enumerate(people):
        person["nps"] = 10 if i < 2 else 7 if i < 8 else 3
    return make_study(session, me, "Signup", people, questionnaires="nps")


def test_results_table_keeps_each_interval_on_one_line(
    page: Page, live_server, session: Session
) -> None:
    study = _nps_study(session)
    log_in(page, live_server.url)
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    cell = page.locator('tr[data-task="find"] [data-field="completion-ci"]')
    # 9/11, adjusted Wald at 95 %: 0.5115 to 0.9601 (Sauro & Lewis 2005 formula;
    # statsmodels proportion_confint(9, 11, method="agresti_coull")).
    expect(cell).to_contain_text("51–96 %")
    expect(cell.locator("sup a")).to_have_attribute("href", "#method-completion")
    for ci in page.locator("#tasks table.tasks .ci").all():
        lines = ci.evaluate("e => e.getClientRects().length")
        assert lines == 1, ci.inner_text()


def test_numbers_look_the_same_on_the_page_in_the_report_and_in_charts(
    page: Page, live_server, session: Session
) -> None:
    study = _nps_study(session)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    # NPS -41 with a true minus sign (U+2212), and 82 % with a space: 9/11.
    expect(page.locator('[data-field="nps-score"]')).to_have_text("−41")
    expect(page.locator('[data-field="completion"]')).to_have_text("82 %")
    expect(page.locator('[data-field="nps-ci"]')).to_contain_text("−")
    page.goto(f"{live_server.url}/studies/{study.slug}/report.html")
    expect(page.locator('[data-field="nps-score"]').first).to_have_text("−41")
    svg = page.request.get(
        f"{live_server.url}/studies/{study.slug}/charts/nps.svg"
    ).text()
    assert "Net Promoter Score −41" in svg
    assert "-41" not in svg
    completion = page.request.get(
        f"{live_server.url}/studies/{study.slug}/charts/completion.svg"
    ).text()
    assert "82 %" in completion


def _timed_study(session: Session, me, title: str, seconds: list[float]):
    people = [{"outcome": "success", "seconds": s} for s in seconds]
    return make_study(session, me, title, people)


def test_time_centre_and_interval_belong_together(
    page: Page, live_server, session: Session
) -> None:
    # 30 times 20, 22, ..., 78 s: median 49.0 s. Distribution-free 95 % interval
    # of the median from binomial order statistics: ranks 10 and 21, 38 s to
    # 60 s (Conover 1999, Practical Nonparametric Statistics, sec. 3.2; scipy
    # quantile_test(x, q=49, p=0.5).confidence_interval(0.95)).
    me = owner(session)
    many = _timed_study(session, me, "Many", [20 + 2 * i for i in range(30)])
    # The first 24 of those times: geometric mean 40.6 s; t interval on log
    # times 34.9-47.2 s (Sauro & Lewis 2010; numpy: exp(mean(log t) +-
    # t(.975, 23) * sd(log t) / sqrt(24))).
    few = _timed_study(session, me, "Few", [20 + 2 * i for i in range(24)])
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{many.slug}/results")
    row = page.locator('tr[data-task="find"]')
    expect(row.locator('[data-field="time"]')).to_contain_text("49.0 s median")
    expect(row.locator('[data-field="time-ci"]')).to_contain_text("38.0–60.0 s")
    expect(row.locator('[data-field="time-ci"] sup a')).to_have_attribute(
        "href", "#method-time-median"
    )
    expect(page.locator("#method-time-median")).to_contain_text("binomial")
    page.goto(f"{live_server.url}/studies/{few.slug}/results")
    row = page.locator('tr[data-task="find"]')
    expect(row.locator('[data-field="time"]')).to_contain_text("40.6 s geo. mean")
    expect(row.locator('[data-field="time-ci"]')).to_contain_text("34.9–47.2 s")


def test_small_samples_say_so(page: Page, live_server, session: Session) -> None:
    me = owner(session)
    sus = [5, 1, 5, 1, 5, 1, 5, 1, 5, 1]  # scores 100 (Brooke 1996)
    # Two successful times, 3 s and 900 s: the log-t interval (df = 1,
    # t = 12.71) runs from 0.0 s to about 10^10 s, over 100x the longest time.
    people = [
        {"outcome": "success", "seconds": 3, "seq": 5, "sus": sus, "nps": 9},
        {"outcome": "success", "seconds": 900, "seq": 5, "sus": sus},
    ]
    study = make_study(session, me, "Tiny", people, questionnaires="sus, nps")
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    row = page.locator('tr[data-task="find"]')
    expect(row.locator('[data-field="time-ci"]')).to_have_text(
        "too few data for an interval (times: 3.0 s, 900 s)"
    )
    # Both SEQ answers are 5: a zero-width interval says what it is.
    expect(row.locator('[data-field="seq-ci"]')).to_have_text("all answers were 5")
    expect(page.locator('[data-field="sus-ci"]')).to_have_text("all scores were 100")
    # One NPS answer: no interval at all.
    expect(page.locator('[data-field="nps-ci"]')).to_have_text(
        "too few data for an interval (one answer, a promoter)"
    )
    expect(page.locator('[data-field="sus-norms-note"]')).to_have_text(
        "Norms describe study means; n is very small."
    )
    expect(page.get_by_text("16606909")).to_have_count(0)


AUTO_TASK = """\
title: Shop
tasks:
  - id: find
    title: Find it
    prompt: Find it.
    start_url: /static/demo-shop/index.html
    success: {url_matches: "cart\\\\.html"}
after_each_task: [seq]
questionnaires: [sus]
"""


def test_said_done_but_never_reached_the_goal(
    page: Page, live_server, session: Session
) -> None:
    said = {"self_reported": True, "judged_by": "auto"}
    people = (
        [{"outcome": "success", "attempt": {"judged_by": "auto"}}] * 4
        + [{"outcome": "failure", "attempt": said}] * 3
        + [{"outcome": "unverified", "attempt": said}]
    )
    study = make_study(session, owner(session), "", people, study_text=AUTO_TASK)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    row = page.locator('tr[data-task="find"]')
    # Only the criterion counts: 4 of 8 reached the cart page.
    expect(row.locator('[data-field="completed"]')).to_contain_text("4/8")
    expect(row.locator('[data-field="said-done"]')).to_have_text(
        "3 said done but never reached the goal; 1 unverified"
    )
    flag = page.locator('[data-flag="unverified"]')
    expect(flag).to_contain_text("1 flagged")
    expect(page.locator("tr[data-participant] .flag-unverified")).to_have_count(1)


def test_each_tasks_seq_is_tested_against_its_average(
    page: Page, live_server, session: Session
) -> None:
    people = [{"outcome": "success", "seq": v} for v in (7, 7, 6, 7, 6, 7)]
    study = make_study(session, owner(session), "Easy", people)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    # One-sample t against 5.5 (Sauro 2012): t = 5.53, df = 5, p = 0.0026
    # (scipy.stats.ttest_1samp([7, 7, 6, 7, 6, 7], 5.5)).
    expect(page.locator('tr[data-task="find"] [data-field="seq-test"]')).to_have_text(
        "above the average of 5.5 (t = 5.53, p = 0.003)"
    )


def test_an_ab_study_says_it_pools_its_variants(
    page: Page, live_server, session: Session
) -> None:
    extra = (
        "variants:\n  - {key: A, name: Current form}\n  - {key: B, name: Short form}"
    )
    people = [
        {"outcome": "success", "variant": v, "seconds": 30 + i}
        for i, v in enumerate("ABABAB")
    ]
    study = make_study(session, owner(session), "Signup AB", people, extra=extra)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    note = page.locator('[data-field="variants-pooled"]')
    expect(note).to_contain_text(
        "These results pool both variants (A: Current form, B: Short form)"
    )
    note.get_by_role("link", name="Compare the variants").click()
    expect(page.locator("#comparison-heading")).to_have_text(
        "Design B: Short form compared with Design A: Current form"
    )


def test_sus_with_a_missing_item_follows_the_study_file(
    page: Page, live_server, session: Session
) -> None:
    # Four complete respondents scoring 75, one with item 10 blank and nine
    # perfect answers: prorated 9 x 4 x 100/36 = 100 (Lewis & Sauro 2017,
    # "Can I leave this one out?"), so the mean is (4 x 75 + 100) / 5 = 80.
    complete = [4, 2, 4, 2, 4, 2, 4, 2, 4, 2]
    blank = [5, 1, 5, 1, 5, 1, 5, 1, 5, None]
    people = [{"sus": complete}] * 4 + [{"sus": blank}]
    study = make_study(
        session, owner(session), "Prorated", people, extra="sus_missing: prorate"
    )
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/studies/{study.slug}/results")
    expect(page.locator('[data-field="sus-mean"]')).to_have_text("80.0")
    expect(page.locator('[data-field="sus-missing"]')).to_have_text(
        "1 respondent skipped one item; the score was prorated from the nine "
        "answered (Lewis & Sauro 2017)."
    )


VARIANTS = "variants:\n  - {key: A, name: Current form}\n  - {key: B, name: Short form}"


def test_compare_picks_variants_from_drop_downs(
    page: Page, live_server, session: Session
) -> None:
    me = owner(session)
    people = [{"outcome": "success", "variant": v} for v in "ABABAB"]
    make_study(session, me, "Signup", people, extra=VARIANTS)
    three = "variants:\n  - {key: X, name: Old}\n  - {key: Y, name: New}\n  - {key: Z, name: Newer}"
    make_study(
        session, me, "Search", [{"outcome": "success", "variant": v} for v in "XYZ"],
        extra=three,
    )  # fmt: skip
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/compare")
    page.get_by_label("Study", exact=True).select_option(label="Search (X, Y, Z)")
    variant_b = page.get_by_label("Variant B")
    # The drop-downs offer the chosen study's variants, nothing to type.
    expect(variant_b.locator("option")).to_have_text(["X: Old", "Y: New", "Z: Newer"])
    page.get_by_label("Variant A (baseline)").select_option("X")
    variant_b.select_option("Z")
    page.get_by_role("button", name="Compare variants").click()
    expect(page.locator("#comparison-heading")).to_have_text(
        "Design Z: Newer compared with Design X: Old"
    )


def test_compare_errors_are_sentences(
    page: Page, live_server, session: Session
) -> None:
    me = owner(session)
    people = [{"outcome": "success", "variant": v} for v in "ABAB"]
    study = make_study(session, me, "Signup", people, extra=VARIANTS)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/compare?study={study.slug}&va=A&vb=Q")
    error = page.locator("[data-error]")
    expect(error).to_have_text("Signup has no variant “Q”; its variants are A and B.")
    page.goto(f"{live_server.url}/compare?a={study.slug}&b={study.slug}")
    expect(error).to_have_text(
        "Pick two different studies: a study compared with itself shows nothing."
    )
    expect(page.locator("#comparison")).to_have_count(0)
