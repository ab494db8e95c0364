"""Simulated participants of a preference test, for the demo."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlmodel import Session

from uxlab.models import Participant, Response, Study, utcnow
from uxlab.questionnaires import build_questionnaire
from uxlab.tokens import hash_token, new_code, new_token

from . import QUESTIONNAIRE

#: Reasons a simulated participant gives for the option at each position.
_REASONS = (
    "It looks calmer and the button is easy to spot.",
    "Everything I need is on one screen.",
    "The price is clearer.",
    "",
)


def simulate_preference(
    session: Session,
    study: Study,
    count: int,
    rng: np.random.Generator,
    *,
    comments: tuple[str, ...] = _REASONS,
) -> None:
    """Add ``count`` participants who chose over the last days; the second
    option is a little more popular, so the results have something to show."""
    from uxlab.demo import _answer

    keys = [str(o["key"]) for o in study.settings.get("options", [])]
    weights = np.ones(len(keys))
    if len(keys) > 1:
        weights[1] = 1.6
    weights /= weights.sum()
    product = study.settings.get("product", "this product")
    closing = [
        build_questionnaire(q, product=product)
        for q in study.settings.get("questionnaires", [])
    ]
    now = utcnow()
    for _ in range(count):
        started = now - timedelta(
            days=float(rng.uniform(0.2, 9)), minutes=float(rng.uniform(0, 600))
        )
        person = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            consent_version=study.consent_version,
            consented_at=started,
            started_at=started,
            created_at=started,
            user_agent="simulated",
        )
        session.add(person)
        session.flush()
        choice = keys[int(rng.choice(len(keys), p=weights))]
        why = (
            comments[int(rng.integers(0, len(comments)))]
            if study.settings.get("why")
            else ""
        )
        clock = started + timedelta(seconds=float(rng.uniform(15, 90)))
        for item, text in (("choice", choice), ("why", why)):
            session.add(
                Response(
                    participant_id=person.id,  # type: ignore[arg-type]
                    questionnaire=QUESTIONNAIRE,
                    scope="study",
                    item=item,
                    value_text=text,
                    answered_at=clock,
                )
            )
        skill = float(rng.normal(0, 1))
        for q in closing:
            clock += timedelta(seconds=30)
            _answer(session, person, q, rng, skill, clock, comments)
        person.finished_at = clock
        person.progress = 100
        person.step = "done"
        session.add(person)
    session.commit()
