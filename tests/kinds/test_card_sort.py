"""Card sorts: the study file, the analysis against hand-worked values, the
results page, standard names, exports and the demo."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from scipy.cluster import hierarchy
from sqlmodel import Session

from tests.kinds.helpers import enter, live_study, start
from uxlab import kinds
from uxlab import participation as p
from uxlab.accounts import create_researcher
from uxlab.errors import StudyFileError
from uxlab.export import export_csv_files
from uxlab.kinds.card_sort import analyse_card_sort
from uxlab.kinds.card_sort.analysis import set_standard_names
from uxlab.models import Study, StudyStatus
from uxlab.paths import STUDY_TEMPLATES_DIR
from uxlab.studies import import_study, load_study_file, parse_study

#: Four cards, two study categories; the third participant makes a group of
#: their own ("Mine"). The hand-worked figures below come from these sorts.
STUDY = """\
title: Four cards
kind: card_sort
sort: hybrid
categories: [X, Y]
randomise: false
cards:
  - {id: a, text: Card A}
  - {id: b, text: Card B}
  - {id: c, text: Card C}
  - {id: d, text: Card D}
"""
SORTS = [
    {
        "groups": [
            {"name": "X", "cards": ["a", "b"]},
            {"name": "Y", "cards": ["c", "d"]},
        ]
    },
    {
        "groups": [
            {"name": "X", "cards": ["a", "b", "c"]},
            {"name": "Y", "cards": ["d"]},
        ]
    },
    {
        "groups": [
            {"name": "X", "cards": ["a"]},
            {"name": "Mine", "cards": ["b"]},
            {"name": "Y", "cards": ["c", "d"]},
        ]
    },
]


def _problems(text: str) -> str:
    with pytest.raises(StudyFileError) as info:
        parse_study(text, "sort.yaml")
    return str(info.value)


def test_the_template_loads_with_twenty_cards() -> None:
    spec = load_study_file(STUDY_TEMPLATES_DIR / "card-sort-groceries.yaml")
    assert spec.kind == "card_sort"
    assert len(spec.cards) == 20  # type: ignore[attr-defined]
    assert "card_sort" in kinds.names()


def test_a_repeated_card_id_is_named_with_its_own_line() -> None:
    text = (
        "title: T\nkind: card_sort\ncards:\n"
        "  - {id: a, text: A}\n  - {id: b, text: B}\n  - {id: a, text: A again}\n"
    )
    message = _problems(text)
    assert "cards[2].id: card id 'a' is used twice (first for card 1)" in message
    assert "(line 6)" in message


@pytest.mark.parametrize("sort", ["closed", "hybrid"])
def test_a_closed_or_hybrid_sort_without_categories_is_refused(sort: str) -> None:
    text = f"title: T\nkind: card_sort\nsort: {sort}\ncards:\n  - {{id: a, text: A}}\n  - {{id: b, text: B}}\n"
    message = _problems(text)
    assert f"sort: a {sort} sort needs categories" in message
    assert "(line 3)" in message


def test_a_missing_image_and_an_open_sort_with_categories_are_refused() -> None:
    text = (
        "title: T\nkind: card_sort\nsort: open\ncategories: [Food]\ncards:\n"
        "  - {id: a, text: A}\n  - {id: b, text: B, image: nowhere/b.png, alt: B}\n"
    )
    message = _problems(text)
    assert "cards[1].image: no image 'nowhere/b.png' under static/ (line 7)" in message
    assert "categories: an open sort has no categories" in message


def test_nothing_is_imported_from_a_bad_file(session: Session) -> None:
    from sqlmodel import select

    with pytest.raises(StudyFileError):
        parse_study("title: T\nkind: card_sort\ncards: [{id: a, text: A}]\n")
    assert session.exec(select(Study)).all() == []


def _sort(session: Session, study: Study, sort: dict) -> None:
    entry = enter(session, study)
    assert p.submit_step(
        session,
        entry.slug,
        entry.token,
        step="sort",
        form={"sort": json.dumps({"unknown": [], **sort})},
    )


def _adjusted_wald(x: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    # Sauro & Lewis (2005), "Estimating completion rates from small samples
    # using binomial confidence intervals": add z²/2 successes and z² trials.
    adj = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(adj * (1 - adj) / (n + z * z))
    return max(0.0, adj - half), min(1.0, adj + half)


def test_the_analysis_matches_the_hand_worked_example(session: Session) -> None:
    study = live_study(session, STUDY)
    for sort in SORTS:
        _sort(session, study, sort)
    s = analyse_card_sort(session, study)
    assert s.n == 3 and s.small_sample
    # Similarity by hand (Tullis & Wood 2004: share of participants who
    # grouped the pair): a-b 2/3 (P1, P2), a-c 1/3 (P2), a-d 0, b-c 1/3 (P2),
    # b-d 0, c-d 2/3 (P1, P3).
    third = 1 / 3
    expected = [
        [1, 2 * third, third, 0],
        [2 * third, 1, third, 0],
        [third, third, 1, 2 * third],
        [0, 0, 2 * third, 1],
    ]
    assert s.similarity is not None
    assert s.similarity.ravel().tolist() == pytest.approx(sum(expected, []))
    # UPGMA by hand: a-b and c-d merge at 1/3, then the two pairs at the mean
    # of 2/3, 1, 2/3, 1 = 5/6. scipy gives the same merge heights.
    assert sorted(s.linkage[:, 2].tolist()) == pytest.approx([third, third, 5 / 6])
    scipy_order = hierarchy.leaves_list(
        hierarchy.linkage(
            [1 - x for x in (2 * third, third, 0, third, 0, 2 * third)], "average"
        )
    )
    assert s.order == [["a", "b", "c", "d"][i] for i in scipy_order]
    # Cut at 0.5: {a, b} and {c, d}. Distances (Deibel et al. 2005): P1 is the
    # consensus, P2 moves c, P3 moves b (or a).
    assert sorted(map(sorted, s.clusters)) == [["a", "b"], ["c", "d"]]
    assert [x.distance for x in s.sorts] == [0, 1, 1]
    # Placement (hybrid: "Mine" counts as other). c: Y for 2 of 3.
    pl = s.placement
    assert pl is not None
    assert pl.top_category == ("X", "X", "Y", "Y")
    assert pl.agreement.tolist() == pytest.approx([1, 2 / 3, 2 / 3, 1])
    assert pl.other.tolist() == [0, 1, 0, 0]
    low, high = _adjusted_wald(2, 3)  # 0.2024 to 0.9437
    assert (pl.low[2], pl.high[2]) == pytest.approx((low, high), abs=1e-4)
    assert pl.method == "adjusted-wald"


def test_standard_names_reach_the_analysis_and_the_export(session: Session) -> None:
    study = live_study(session, STUDY)
    for sort in SORTS:
        _sort(session, study, sort)
    assert set_standard_names(session, study, {"  MINE ": "X"}) == 1
    s = analyse_card_sort(session, study)
    assert s.placement is not None
    assert s.placement.agreement.tolist()[1] == pytest.approx(1.0)  # b: X for 3 of 3
    assert s.names[0].raw in ("x", "y")
    assert {n.raw: n.standard for n in s.names}["mine"] == "X"
    table = list(
        csv.DictReader(io.StringIO(export_csv_files(session, study)["card_sort.csv"]))
    )
    assert len(table) == 3 * 4  # one row per participant x card
    mine = [r for r in table if r["category_raw"] == "Mine"]
    assert [(r["card"], r["category_standard"]) for r in mine] == [("b", "X")]
    # A blank standard name removes it: the name counts as typed again.
    set_standard_names(session, study, {"mine": ""})
    s = analyse_card_sort(session, study)
    assert s.placement is not None and s.placement.other.tolist() == [0, 1, 0, 0]


def test_unsorted_and_unknown_cards_are_exported_as_such(session: Session) -> None:
    study = live_study(session, STUDY)
    _sort(session, study, {"groups": [{"name": "X", "cards": ["a"]}], "unknown": ["d"]})
    table = list(
        csv.DictReader(io.StringIO(export_csv_files(session, study)["card_sort.csv"]))
    )
    assert [(r["card"], r["status"]) for r in table] == [
        ("a", "sorted"),
        ("b", "unsorted"),
        ("c", "unsorted"),
        ("d", "unknown"),
    ]


@pytest.fixture
def researcher_client(
    client: FlaskClient, session: Session
) -> tuple[FlaskClient, Study]:
    study = live_study(session, STUDY)
    for sort in SORTS:
        _sort(session, study, sort)
    client.post("/login", data={"email": "r@example.org", "password": "long-enough"})
    return client, study


def test_the_results_page_shows_matrix_dendrogram_groups_and_sorts(
    researcher_client: tuple[FlaskClient, Study],
) -> None:
    client, study = researcher_client
    page = client.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    assert "Similarity matrix" in page and 'id="similarity-matrix"' in page
    assert "dendrogram-cut" in page
    assert "2 groups at a cut of 0.5" in page
    assert "Small sample: 3 sorts" in page
    assert "adjusted-Wald interval" in page
    assert "Standardise category names" in page
    # Cut lower: every card is its own group.
    low = client.get(f"/studies/{study.slug}/results?cut=0.2").get_data(as_text=True)
    assert "4 groups at a cut of 0.2" in low
    assert client.get(f"/studies/{study.slug}/results?cut=2").status_code == 400
    for name in ("similarity", "dendrogram"):
        chart = client.get(f"/studies/{study.slug}/charts/{name}.svg")
        assert chart.status_code == 200 and chart.data.startswith(b"<?xml")


def test_the_report_has_the_card_sort_section_without_forms(
    researcher_client: tuple[FlaskClient, Study],
) -> None:
    client, study = researcher_client
    report = client.get(f"/studies/{study.slug}/report.html").get_data(as_text=True)
    assert 'id="similarity-matrix"' in report and "dendrogram-cut" in report
    assert "2 groups at a cut of 0.5" in report
    assert "<form" not in report.split('id="card-sort"')[1].split("</main>")[0]


def test_an_editor_merges_names_and_every_view_follows(
    researcher_client: tuple[FlaskClient, Study],
) -> None:
    client, study = researcher_client
    response = client.post(
        f"/studies/{study.slug}/card-sort/names",
        data={"raw": ["mine", "x"], "standard": ["X", ""]},
    )
    assert response.status_code == 303
    page = client.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    assert "(typed “Mine”)" in page
    report = client.get(f"/studies/{study.slug}/report.html").get_data(as_text=True)
    assert "(typed “Mine”)" in report
    export = client.get(f"/studies/{study.slug}/export.zip")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.data)) as bundle:
        names = bundle.namelist()
        table = next(n for n in names if n.endswith("card_sort.csv"))
        rows = list(csv.DictReader(io.StringIO(bundle.read(table).decode("utf-8-sig"))))
        assert ("Mine", "X") in {
            (r["category_raw"], r["category_standard"]) for r in rows
        }
    codebook = client.get(f"/studies/{study.slug}/codebook.csv").get_data(as_text=True)
    assert "card_sort.csv,category_standard" in codebook
    workbook = client.get(f"/studies/{study.slug}/export.xlsx")
    assert "card_sort" in load_workbook(io.BytesIO(workbook.data)).sheetnames


def test_the_demo_seeds_a_card_sort_with_something_to_show(
    session: Session, app
) -> None:
    from sqlmodel import select

    from uxlab.demo import seed_demo

    with app.app_context():
        seed_demo(session, participants=12)
    study = session.exec(
        select(Study).where(Study.title == "Grocery aisles card sort")
    ).one()
    s = analyse_card_sort(session, study)
    assert s.n == 12 and s.in_progress == 2
    assert s.clusters and s.placement is not None
    assert any(n.raw in ("pets", "pet food", "animals") for n in s.names)


HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_viewer_sees_no_codes_and_cannot_merge_names(app, session: Session) -> None:
    from sqlmodel import select

    from uxlab.models import Participant, WorkspaceRole
    from uxlab.workspaces import add_member, create_workspace

    owner = create_researcher(session, email="owner@example.org", password="password-1")
    create_researcher(session, email="viewer@example.org", password="password-1")
    team = create_workspace(session, "Team", owner_email="owner@example.org")
    add_member(session, team, "viewer@example.org", WorkspaceRole.viewer)
    text = STUDY.replace("title: Four cards", "title: Team sort")
    study = import_study(
        session, parse_study(text), owner=owner, source_text=text, workspace_id=team.id
    )
    study.status = StudyStatus.live
    session.add(study)
    session.commit()
    _sort(session, study, {"groups": [{"name": HOSTILE, "cards": ["a", "b"]}]})
    _sort(session, study, SORTS[0])
    viewer = app.test_client()
    viewer.post(
        "/login", data={"email": "viewer@example.org", "password": "password-1"}
    )
    page = viewer.get(f"/studies/{study.slug}/results").get_data(as_text=True)
    assert "Participant 1" in page
    for person in session.exec(select(Participant)).all():
        assert person.code not in page
    assert "Save standard names" not in page
    # Participants' own words are shown as text, never as markup.
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    refused = viewer.post(
        f"/studies/{study.slug}/card-sort/names", data={"raw": ["x"], "standard": ["Y"]}
    )
    assert refused.status_code == 403


def test_card_text_from_the_study_file_is_shown_as_text(
    client: FlaskClient, session: Session
) -> None:
    text = STUDY.replace("text: Card A", f'text: "{HOSTILE}"')
    page = start(client, session, live_study(session, text))
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
