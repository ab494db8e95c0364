from __future__ import annotations

import pytest

from uxlab.errors import InvalidAnswerError
from uxlab.questionnaires import STANDARD, build_questionnaire, validate_answer


def test_sus_has_the_ten_standard_items_on_a_five_point_scale() -> None:
    sus = STANDARD["sus"]
    # Brooke (1996): ten alternating positive/negative statements, 1-5 agreement.
    assert len(sus.items) == 10
    assert (
        sus.items[0].text == "I think that I would like to use this system frequently."
    )
    assert sus.items[9].text.startswith("I needed to learn a lot of things")
    assert (sus.scale_min, sus.scale_max) == (1, 5)


def test_standard_scales() -> None:
    assert (STANDARD["seq"].scale_min, STANDARD["seq"].scale_max) == (1, 7)
    assert (STANDARD["nps"].scale_min, STANDARD["nps"].scale_max) == (0, 10)
    assert len(STANDARD["umux_lite"].items) == 2


def test_product_name_is_filled_in() -> None:
    nps = build_questionnaire("nps", product="the Northwind shop")
    assert nps.items[0].text == (
        "How likely are you to recommend the Northwind shop to a friend or colleague?"
    )
    umux = build_questionnaire("umux_lite", product="this product")
    assert umux.items[1].text == "This product is easy to use."


def test_custom_likert_and_open_text() -> None:
    likert = build_questionnaire(
        {"type": "likert", "id": "trust", "text": "I trust it.", "scale": [1, 7],
         "labels": ["No", "Yes"]}
    )  # fmt: skip
    assert (likert.kind, likert.scale_max, likert.low_label) == ("likert", 7, "No")
    text = build_questionnaire({"type": "open_text", "id": "why", "text": "Why?"})
    assert text.open_text and not text.required


@pytest.mark.parametrize(
    ("raw", "expected"), [(1, 1.0), (5, 5.0), ("3", 3.0), (" 4 ", 4.0)]
)
def test_valid_answers(raw, expected) -> None:
    assert validate_answer(STANDARD["sus"], "q1", raw) == (expected, None)


@pytest.mark.parametrize("raw", [0, 6, 7, -1, "three", 3.5, 3.0, True, None, "", [3]])
@pytest.mark.reliability
def test_invalid_sus_answers(raw) -> None:
    with pytest.raises(InvalidAnswerError, match=r"sus\.q1"):
        validate_answer(STANDARD["sus"], "q1", raw)


@pytest.mark.parametrize("raw", [11, -1])
@pytest.mark.reliability
def test_nps_range(raw) -> None:
    with pytest.raises(InvalidAnswerError, match="outside the scale 0..10"):
        validate_answer(STANDARD["nps"], "q1", raw)


def test_unknown_item() -> None:
    with pytest.raises(
        InvalidAnswerError, match="item .'q11'. is not in questionnaire 'sus'"
    ):
        validate_answer(STANDARD["sus"], "q11", 3)


def test_long_text_is_refused() -> None:
    q = build_questionnaire({"type": "open_text", "id": "why", "text": "Why?"})
    assert validate_answer(q, "q1", "  fine  ") == (None, "  fine  ")  # verbatim
    with pytest.raises(InvalidAnswerError, match="at most 100"):
        validate_answer(q, "q1", "x" * 101, max_text=100)
