"""Simulated participants of a five-second test, for the demo, with a few
codes already given to the open answers so the coding view shows something."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlmodel import Session

from uxlab import coding
from uxlab.coding import Codebook, FiveSecondAnswerCode
from uxlab.models import (
    FiveSecondAnswer,
    FiveSecondView,
    Participant,
    Study,
    utcnow,
)
from uxlab.questionnaires import build_questionnaire
from uxlab.tokens import hash_token, new_code, new_token

from . import display_ms, image_for, questions

#: Open answers a simulated participant gives, and the codes each carries.
_OPEN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("A library, you can borrow e-books.", ("library", "e-books")),
    ("Some library website.", ("library",)),
    ("Getting a library card.", ("library", "card")),
    ("Not sure, a welcome page?", ("unsure",)),
    ("E-books for free", ("e-books",)),
    ("", ()),
)


def simulate_five_second(
    session: Session,
    study: Study,
    count: int,
    rng: np.random.Generator,
    *,
    comments: tuple[str, ...] = (),
) -> None:
    """Add ``count`` participants who looked and answered over the last days."""
    from uxlab.demo import _answer

    product = study.settings.get("product", "this product")
    closing = [
        build_questionnaire(q, product=product)
        for q in study.settings.get("questionnaires", [])
    ]
    variants = [str(v["key"]) for v in study.settings.get("variants") or []]
    asked = questions(study)
    now = utcnow()
    for i in range(count):
        started = now - timedelta(
            days=float(rng.uniform(0.2, 9)), minutes=float(rng.uniform(0, 600))
        )
        person = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            variant=variants[i % len(variants)] if variants else None,
            consent_version=study.consent_version,
            consented_at=started,
            started_at=started,
            created_at=started,
            user_agent="simulated",
        )
        session.add(person)
        session.flush()
        assert person.id is not None
        # The first variant's page is the clearer one.
        clear = person.variant in (None, variants[0] if variants else None)
        shown = started + timedelta(seconds=float(rng.uniform(10, 40)))
        went_on = shown + timedelta(milliseconds=display_ms(study) + 1500)
        answered = went_on + timedelta(seconds=float(rng.uniform(15, 70)))
        session.add(
            FiveSecondView(
                participant_id=person.id,
                image=str(image_for(study, person).get("image", "")),
                shown_at=shown,
                continued_at=went_on,
                answered_at=answered,
            )
        )
        for q in asked:
            row = FiveSecondAnswer(
                participant_id=person.id, question=str(q["id"]), answered_at=answered
            )
            if q["type"] == "choice":
                options = list(q["options"])
                weights = np.ones(len(options))
                weights[0] = 3.0 if clear else 1.0
                row.value_text = options[
                    int(rng.choice(len(options), p=weights / weights.sum()))
                ]
            elif q["type"] == "rating":
                scale = int(q.get("scale", 5))
                centre = 0.75 * scale if clear else 0.45 * scale
                row.value_num = float(
                    int(np.clip(round(rng.normal(centre, 1.0)), 1, scale))
                )
            else:
                text, labels = _OPEN[int(rng.integers(0, len(_OPEN)))]
                row.value_text = text or None
            session.add(row)
            session.flush()
            if q["type"] == "open" and row.value_text:
                book = Codebook.question(study, str(q["id"]))
                for label in labels:
                    code = coding.code_named(session, book, label)
                    session.add(
                        FiveSecondAnswerCode(
                            subject_id=row.id,  # type: ignore[arg-type]
                            code_id=code.id,  # type: ignore[arg-type]
                        )
                    )
        clock = answered
        skill = float(rng.normal(0, 1))
        for qn in closing:
            clock += timedelta(seconds=30)
            _answer(session, person, qn, rng, skill, clock, comments or ("",))
        person.finished_at = clock
        person.progress = 100
        person.step = "done"
        session.add(person)
    session.commit()
