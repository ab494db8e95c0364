"""The demo's customer journey: a year of simulated touchpoint answers.

"Buy online" has four stages and five touchpoints, each with a survey; each
month brings 20 to 60 answers per touchpoint through its link and QR code,
so every trend and the journey map show intervals (and a caution where a
month is thin). Checkout dips in the spring, as after a redesign, and
recovers: something for the trend to show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from uxlab import coding
from uxlab.coding import Codebook, CxResponseCode
from uxlab.cx import followups, ux_side
from uxlab.cx import journeys as store
from uxlab.cx.feedback import month_of, week_of
from uxlab.cx.models import CxJourney, CxResponse, CxTouchpoint
from uxlab.cx.widget import save_widget
from uxlab.models import AuditProject, Study

__all__ = ["close_the_demo_loop", "seed_cx_demo"]

#: Stage, touchpoint, survey blocks, mean NPS answer.
_TOUCHPOINTS: tuple[tuple[str, str, list[str], float], ...] = (
    ("Discover", "Product page", ["nps", "seq", "open"], 7.6),
    ("Buy", "Checkout", ["nps", "csat", "open"], 7.9),
    ("Buy", "Order-confirmation email", ["nps", "csat"], 8.3),
    ("Get help", "Support chat", ["csat", "ces", "open"], 0.0),
    ("Renew", "Renewal reminder", ["nps"], 7.0),
)
_REASONS = (
    "Delivery date was hard to find.",
    "Quick and easy, thanks.",
    "The discount code did not apply.",
    "Great support agent.",
    "Too many steps to pay.",
)
#: The code a researcher has given each reason (most answers are coded).
_CODES = {
    _REASONS[0]: "delivery date",
    _REASONS[1]: "praise",
    _REASONS[2]: "discount code",
    _REASONS[3]: "praise",
    _REASONS[4]: "too many steps",
}


def seed_cx_demo(
    session: Session, workspace_id: int, secret: str, *, seed: int = 11
) -> None:
    """The demo journey with its touchpoints, surveys and a year of answers."""
    rng = np.random.default_rng(seed)
    journey = store.create_journey(
        session, workspace_id, "Buy online", ["Discover", "Buy", "Get help", "Renew"]
    )
    stages = {
        v.stage.name: v.stage for v in store.journey_view(session, journey).stages
    }
    now = datetime.now(UTC)
    rows: list[CxResponse] = []
    for stage, name, blocks, mean_nps in _TOUCHPOINTS:
        stage_id = stages[stage].id
        assert stage_id is not None
        point = store.add_touchpoint(session, journey, stage_id, name)
        survey = store.save_survey(
            session,
            point,
            blocks,
            "What is the main reason for your score?",
            "order" if name == "Checkout" else "",
            secret,
        )
        if name == "Checkout":
            # The demo shop's confirmation page shows this survey's widget
            # (see uxlab.cx.demo_shop); uxlab's own origin needs no listing.
            save_widget(
                session,
                point,
                [],
                {"trigger": "url", "url_pattern": "/static/demo-shop/confirmation*"},
            )
        channels = store.channels_of(session, survey)
        assert point.id is not None and survey.id is not None
        for month in range(12):
            dip = 1.2 if name == "Checkout" and month in (7, 8) else 0.0
            for k in range(int(rng.integers(20, 61))):
                at = now - timedelta(days=30 * month + float(rng.uniform(0, 30)))
                channel = channels[int(rng.random() < 0.2)]  # a fifth by QR code
                answer = CxResponse(
                    touchpoint_id=point.id,
                    survey_id=survey.id,
                    channel_id=channel.id or 0,
                    client_key=f"demo-{point.id}-{month}-{k}",
                    created_at=at,
                    updated_at=at,
                    week=week_of(at),
                    month=month_of(at),
                )
                if "nps" in blocks:
                    nps = rng.normal(mean_nps - dip, 2.0)
                    answer.nps = int(np.clip(round(nps), 0, 10))
                if "csat" in blocks:
                    answer.csat = int(np.clip(round(rng.normal(4.0 - dip, 0.9)), 1, 5))
                if "ces" in blocks:
                    answer.ces = int(np.clip(round(rng.normal(5.2, 1.3)), 1, 7))
                if "seq" in blocks:
                    answer.seq = int(np.clip(round(rng.normal(5.6, 1.1)), 1, 7))
                if "open" in blocks and rng.random() < 0.3:
                    answer.open_text = _REASONS[int(rng.integers(0, len(_REASONS)))]
                if name == "Checkout" and month < 2 and rng.random() < 0.5:
                    answer.hidden = {"order": f"A-{int(rng.integers(1000, 9999))}"}
                rows.append(answer)
    session.add_all(rows)
    session.flush()
    _code_answers(session, workspace_id, rows, rng)
    session.commit()


def _code_answers(
    session: Session,
    workspace_id: int,
    answers: list[CxResponse],
    rng: np.random.Generator,
) -> None:
    """Code nine in ten open answers, so the codes' counts show a theme."""
    book = Codebook.customer_answers(workspace_id)
    codes = {
        label: coding.code_named(session, book, label) for label in _CODES.values()
    }
    session.add_all(
        CxResponseCode(
            subject_id=answer.id or 0, code_id=codes[_CODES[answer.open_text]].id or 0
        )
        for answer in answers
        if answer.open_text in _CODES and rng.random() < 0.9
    )


def close_the_demo_loop(session: Session, workspace_id: int) -> None:
    """Aim the team's first study and audit project at Checkout, and follow up.

    The journey's rules name the ``order`` hidden field, so the unhappy
    Checkout answers of the last two months that carry an order number each
    get a follow-up, a few of them already contacted or resolved.
    """
    journey = session.exec(
        select(CxJourney).where(CxJourney.workspace_id == workspace_id)
    ).first()
    if journey is None or journey.id is None:
        return
    checkout = session.exec(
        select(CxTouchpoint).where(
            CxTouchpoint.journey_id == journey.id, CxTouchpoint.name == "Checkout"
        )
    ).one()
    study = session.exec(
        select(Study).where(Study.workspace_id == workspace_id).order_by(col(Study.id))
    ).first()
    if study is not None:
        ux_side.link(session, workspace_id, checkout, study_id=study.id)
    project = session.exec(
        select(AuditProject).where(
            AuditProject.workspace_id == workspace_id,
            col(AuditProject.study_id).is_(None),
        )
    ).first()
    if project is not None:
        ux_side.link(session, workspace_id, checkout, audit_project_id=project.id)
    followups.save_settings(session, journey, "order", "")
    answers = session.exec(
        select(CxResponse)
        .where(CxResponse.touchpoint_id == checkout.id)
        .order_by(col(CxResponse.created_at))
    ).all()
    made = [f for a in answers if a.hidden if (f := followups.consider(session, a))]
    for k, followup in enumerate(made[: len(made) // 2]):
        followups.set_status(session, followup, "resolved" if k % 2 else "contacted")
