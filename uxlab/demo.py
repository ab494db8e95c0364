"""A demo researcher and studies with simulated participants, for trying uxlab out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from flask import current_app
from sqlmodel import Session, col, select

from uxlab.accounts import create_researcher
from uxlab.invites import create_invites, open_invite
from uxlab.kinds import kind_of
from uxlab.models import (
    Event,
    JudgedBy,
    Outcome,
    Participant,
    Researcher,
    Response,
    Study,
    StudyMode,
    StudyStatus,
    Task,
    TaskAttempt,
    WorkspaceRole,
    utcnow,
)
from uxlab.questionnaires import Questionnaire, build_questionnaire
from uxlab.studies import balanced_latin_square, import_study, load_study_file
from uxlab.tokens import hash_token, new_code, new_token
from uxlab.workspaces import add_member, create_workspace

__all__ = [
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "DEMO_VIEWER_EMAIL",
    "DEMO_VIEWER_PASSWORD",
    "DemoResult",
    "seed_demo",
    "simulate_participants",
]

DEMO_EMAIL = "demo@uxlab.local"
DEMO_PASSWORD = "uxlab-demo"
#: A second account, a viewer of the demo team's workspace, to show roles.
DEMO_VIEWER_EMAIL = "viewer@uxlab.local"
DEMO_VIEWER_PASSWORD = "uxlab-viewer"
DEMO_TEAM = "Demo team"
#: Studies seeded into the shared workspace rather than the personal one.
_TEAM_TEMPLATES = frozenset({"ecommerce-tasks.yaml", "ab-checkout.json"})

_COMMENTS = (
    "The search box was hard to find on my phone.",
    "Checkout was quick, I liked that.",
    "I wasn't sure whether the jacket was waterproof.",
    "Returns information should be on the product page.",
    "",
)
#: Open-text answers that fit each demo study's question ("" is no answer).
_TOPICAL_COMMENTS: dict[str, tuple[str, ...]] = {
    "first-click.yaml": (
        "The sale link is easy to miss at the top.",
        "I looked for the account icon on the left first.",
        "Everything was where I expected it.",
        "The menu labels are a bit small.",
        "",
    ),
    "touchpoint-survey.yaml": (
        "The support agent sorted out my refund on the first call.",
        "I had to explain my problem twice to support.",
        "Quick answer by chat, thank you.",
        "Waited too long on hold before an agent answered.",
        "",
    ),
    "tree-test-navigation.yaml": (
        "The headings were clear once I knew the council's words for things.",
        "I wasn't sure whether fly-tipping was a bin thing or a street thing.",
        "",
    ),
    "preference-checkout.yaml": (
        "One big button: I can't miss it.",
        "I like being able to pay later.",
        "It looks calmer.",
        "",
    ),
}

#: Templates seeded for the demo, with how many simulated participants each gets
#: (as a share of the requested number) and whether they go live.
_DEMO_TEMPLATES: tuple[tuple[str, float, bool], ...] = (
    ("ecommerce-tasks.yaml", 1.0, True),
    ("ab-checkout.json", 1.0, True),
    ("first-click.yaml", 1.0, True),
    ("touchpoint-survey.yaml", 1.3, True),
    ("sus-benchmark.yaml", 0.0, False),
    ("moderated-think-aloud.yaml", 0.0, True),
    ("preference-checkout.yaml", 1.0, True),
    ("tree-test-navigation.yaml", 1.0, True),
    ("card-sort-groceries.yaml", 1.0, True),
    ("five-second-homepage.yaml", 1.0, True),
)


@dataclass(slots=True)
class DemoResult:
    created: bool
    studies: list[tuple[str, str, int]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = "Demo data created." if self.created else "Demo data already exists."
        out = [
            head,
            f"Log in at /login as {DEMO_EMAIL} with password {DEMO_PASSWORD}",
            f"  or as {DEMO_VIEWER_EMAIL} with password {DEMO_VIEWER_PASSWORD}: a "
            f"viewer in the shared workspace “{DEMO_TEAM}” (results and reports, "
            "no participant data)",
        ]
        wide = max((len(slug) for slug, _, _ in self.studies), default=0)
        for slug, title, n in self.studies:
            out.append(f"  {slug:{wide}}  {n:3} participants  {title}")
        if self.links:
            out.append("Participant links (open one in a private window):")
        wide = max((len(slug) for slug, _ in self.links), default=0)
        for slug, url in self.links:
            out.append(f"  {slug:{wide}}  {url}")
        return out


def seed_demo(session: Session, *, participants: int = 30, seed: int = 7) -> DemoResult:
    """Create the demo researcher and studies, unless they exist already."""
    templates = Path(current_app.config["STUDY_TEMPLATES_DIR"])
    secret = current_app.config["SECRET_KEY"]
    existing = session.exec(
        select(Researcher).where(Researcher.email == DEMO_EMAIL)
    ).first()
    result = DemoResult(created=existing is None)
    # Where `make demo` serves, unless the instance says where it is reached.
    base = str(current_app.config.get("PUBLIC_URL") or _SHOP_ORIGIN).rstrip("/")
    if existing is None:
        owner = create_researcher(
            session, email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo researcher"
        )
        create_researcher(
            session,
            email=DEMO_VIEWER_EMAIL,
            password=DEMO_VIEWER_PASSWORD,
            name="Demo viewer",
        )
        team = create_workspace(session, DEMO_TEAM, owner_email=DEMO_EMAIL)
        add_member(session, team, DEMO_VIEWER_EMAIL, WorkspaceRole.viewer)
        from uxlab.audits.demo import seed_audit_demo

        assert team.id is not None
        seed_audit_demo(session, team.id, base)
        from uxlab.cx.demo import seed_cx_demo

        seed_cx_demo(session, team.id, secret)
        rng = np.random.default_rng(seed)
        for name, share, live in _DEMO_TEMPLATES:
            path = templates / name
            if not path.exists():
                continue
            spec = load_study_file(path)
            study = import_study(
                session,
                spec,
                owner=owner,
                source_text=path.read_text(),
                workspace_id=team.id if name in _TEAM_TEMPLATES else None,
                publish=live,
            )
            kind_of(study).demo(
                session,
                study,
                round(participants * share),
                rng,
                comments=_TOPICAL_COMMENTS.get(name, _COMMENTS),
            )
            if study.mode == StudyMode.moderated and live:
                from uxlab.demo_sessions import seed_sessions

                assert owner.id is not None
                seed_sessions(session, study, owner.id, secret)
            if name == "ecommerce-tasks.yaml":
                _straight_line_one(session, study)
            if study.mode != StudyMode.moderated:  # those join through sessions
                open_invite(session, study, secret)
                create_invites(session, study, 5, secret, label="demo invites")
        from uxlab.cx.demo import close_the_demo_loop

        close_the_demo_loop(session, team.id)
    owner = session.exec(select(Researcher).where(Researcher.email == DEMO_EMAIL)).one()
    for study in session.exec(
        select(Study).where(Study.researcher_id == owner.id)
    ).all():
        count = len(
            session.exec(
                select(Participant.id).where(Participant.study_id == study.id)
            ).all()
        )
        result.studies.append((study.slug, study.title, count))
        if study.status == StudyStatus.live and study.mode != StudyMode.moderated:
            from uxlab.invites import invite_token

            token = invite_token(open_invite(session, study, secret), secret)
            result.links.append((study.slug, f"{base}/s/{token}"))
    return result


def simulate_participants(
    session: Session,
    study: Study,
    count: int,
    rng: np.random.Generator,
    *,
    comments: tuple[str, ...] = _COMMENTS,
) -> None:
    """Add ``count`` plausible participants who took ``study`` over the last days.

    Open-text answers are drawn from ``comments`` ("" leaves one unanswered).
    """
    tasks = list(
        session.exec(
            select(Task).where(Task.study_id == study.id).order_by(col(Task.position))
        ).all()
    )
    settings = study.settings
    product = settings.get("product", "this product")
    after = [
        build_questionnaire(q, product=product)
        for q in settings.get("after_each_task", [])
    ]
    closing = [
        build_questionnaire(q, product=product)
        for q in settings.get("questionnaires", [])
    ]
    variants = [v["key"] for v in settings.get("variants", [])]
    orders = balanced_latin_square(len(tasks)) if tasks else [[]]
    difficulty = rng.uniform(0.55, 0.95, size=len(tasks))
    typical_s = rng.uniform(35, 120, size=len(tasks))
    now = utcnow()
    for i in range(count):
        variant = variants[i % len(variants)] if variants else None
        # Design B is a little easier, so comparisons have something to find.
        boost = 0.08 if variant == "B" else 0.0
        skill = rng.normal(0, 1)
        started = now - timedelta(
            days=float(rng.uniform(0.2, 9)), minutes=float(rng.uniform(0, 600))
        )
        order = (
            orders[i % len(orders)]
            if settings.get("task_order") == "counterbalanced"
            else list(range(len(tasks)))
        )
        finishes = rng.random() > 0.1
        stop_after = (
            len(tasks) if finishes else int(rng.integers(0, max(len(tasks), 1)))
        )
        p = Participant(
            study_id=study.id,  # type: ignore[arg-type]
            token_hash=hash_token(new_token()),
            code=new_code(),
            variant=variant,
            task_order=[tasks[j].id for j in order],  # type: ignore[misc]
            consent_version=study.consent_version,
            consented_at=started,
            started_at=started,
            created_at=started,
            user_agent="simulated",
        )
        session.add(p)
        session.flush()
        clock = started + timedelta(seconds=20)
        steps_done = 0
        for position, j in enumerate(order[:stop_after], start=1):
            task = tasks[j]
            p_success = min(0.98, difficulty[j] + boost + 0.05 * skill)
            success = rng.random() < p_success
            seconds = float(
                rng.lognormal(np.log(typical_s[j] * (1.0 if success else 1.5)), 0.45)
            )
            auto = task.success_kind in ("url_matches", "element", "first_click")
            attempt = TaskAttempt(
                participant_id=p.id,  # type: ignore[arg-type]
                task_id=task.id,  # type: ignore[arg-type]
                position=position,
                started_at=clock,
                ended_at=clock + timedelta(seconds=seconds),
                client_duration_ms=int(seconds * 1000 - rng.uniform(50, 400)),
                outcome=Outcome.success
                if success
                else (
                    Outcome.failure
                    if task.success_kind == "first_click"
                    else Outcome.abandoned
                ),
                judged_by=JudgedBy.auto
                if auto and (success or task.success_kind == "first_click")
                else JudgedBy.self,
            )
            session.add(attempt)
            session.flush()
            if task.success_kind == "first_click":
                _first_click(session, p, attempt, task, success, rng, clock)
            elif task.key in _SHOP_JOURNEYS and (task.start_url or "").startswith(
                _SHOP
            ):
                _shop_visit(session, p, attempt, task.key, success, rng, clock, seconds)
            clock += timedelta(seconds=seconds + 10)
            for q in after:
                base = 5.8 if success else 3.4
                value = int(
                    np.clip(
                        round(rng.normal(base + 0.4 * skill, 0.9)),
                        q.scale_min,
                        q.scale_max,
                    )
                )
                session.add(
                    Response(
                        participant_id=p.id,  # type: ignore[arg-type]
                        questionnaire=q.id,
                        scope=f"task:{task.id}",
                        task_id=task.id,
                        item=q.items[0].id,
                        value_num=float(value),
                        answered_at=clock,
                    )
                )
            steps_done += 1 + len(after)
        if finishes:
            for q in closing:
                _answer(
                    session,
                    p,
                    q,
                    rng,
                    skill + (1.0 if variant == "B" else 0.0),
                    clock,
                    comments,
                )
                clock += timedelta(seconds=30)
                steps_done += 1
            p.finished_at = clock
            p.progress = 100
            p.step = "done"
        else:
            total = len(tasks) * (1 + len(after)) + len(closing) + 1
            p.progress = int(100 * (steps_done + 1) / total)
            p.step = f"task:{stop_after}" if tasks else "consent"
        session.add(p)
    session.commit()


def _answer(
    session: Session,
    p: Participant,
    q: Questionnaire,
    rng: np.random.Generator,
    skill: float,
    when: object,
    comments: tuple[str, ...] = _COMMENTS,
) -> None:
    for n, item in enumerate(q.items, start=1):
        value: float | None = None
        text: str | None = None
        if q.open_text:
            text = comments[int(rng.integers(0, len(comments)))]
            if not text:
                continue
        elif q.kind == "sus":
            positive = n % 2 == 1
            centre = 3.9 + 0.5 * skill if positive else 2.1 - 0.5 * skill
            value = float(np.clip(round(rng.normal(centre, 0.8)), 1, 5))
        elif q.kind == "nps":
            value = float(np.clip(round(rng.normal(7.4 + 1.2 * skill, 1.8)), 0, 10))
        else:
            mid = (q.scale_min + q.scale_max) / 2
            spread = (q.scale_max - q.scale_min) / 4
            value = float(
                np.clip(
                    round(rng.normal(mid + spread * (0.8 + 0.6 * skill), spread)),
                    q.scale_min,
                    q.scale_max,
                )
            )
        session.add(
            Response(
                participant_id=p.id,  # type: ignore[arg-type]
                questionnaire=q.id,
                scope="study",
                item=item.id,
                value_num=value,
                value_text=text,
                answered_at=when,  # type: ignore[arg-type]
            )
        )


def _straight_line_one(session: Session, study: Study) -> None:
    """Give one finished participant the same answer to every SUS item.

    The results page then flags them, so the demo shows the Exclude flow.
    """
    person = session.exec(
        select(Participant)
        .where(
            Participant.study_id == study.id, col(Participant.finished_at).is_not(None)
        )
        .order_by(col(Participant.id))
    ).first()
    if person is None:
        return
    for row in session.exec(
        select(Response).where(
            Response.participant_id == person.id, Response.questionnaire == "sus"
        )
    ).all():
        row.value_num = 4.0
        session.add(row)
    session.commit()


def _first_click(
    session: Session,
    p: Participant,
    attempt: TaskAttempt,
    task: Task,
    success: bool,
    rng: np.random.Generator,
    when: object,
) -> None:
    import json

    region = json.loads(task.success_value)
    if success:
        x = rng.uniform(region["x"], region["x"] + region["width"])
        y = rng.uniform(region["y"], region["y"] + region["height"])
    else:
        x, y = rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.6)
    session.add(
        Event(
            event_id=str(uuid.uuid4()),
            participant_id=p.id,  # type: ignore[arg-type]
            attempt_id=attempt.id,
            type="first_click",
            seq=1,
            client_ts=when,  # type: ignore[arg-type]
            payload={"x": round(float(x), 4), "y": round(float(y), 4)},
        )
    )


# ----------------------------------------------------- the demo shop's visits

_SHOP = "/static/demo-shop/"
_SHOP_ORIGIN = "http://127.0.0.1:5000"
#: Where things are on the demo shop at 1280 x 800: (x, y, w, h, selector,
#: tag, text, interactive).
_SPOTS: dict[str, tuple[int, int, int, int, str, str, str, bool]] = {
    "nav-jackets": (
        288,
        4,
        72,
        35,
        "header > nav > a:nth-of-type(2)",
        "a",
        "Jackets",
        True,
    ),
    "shop-jackets": (
        192,
        175,
        102,
        19,
        "main > p:nth-of-type(2) > a",
        "a",
        "Shop jackets",
        True,
    ),
    "nav-help": (366, 4, 52, 35, "header > nav > a:nth-of-type(3)", "a", "Help", True),
    "heading": (192, 80, 600, 38, "main > h1", "h1", "", False),
    "add-blue": (
        209,
        260,
        123,
        44,
        "main > ul > li:nth-of-type(1) > form > button",
        "button",
        "Add to cart",
        True,
    ),
    "jacket-name": (
        209,
        177,
        254,
        28,
        "main > ul > li:nth-of-type(1) > h2",
        "h2",
        "Blue rain jacket",
        False,
    ),
    "email": (192, 198, 404, 39, "#email", "input", "", True),
    "place-order": (
        192,
        253,
        124,
        44,
        "main > form > p > button",
        "button",
        "Place order",
        True,
    ),
}
#: Per task: the successful journey and a failed one, as (page, click) steps.
_SHOP_JOURNEYS: dict[str, tuple[list[tuple[str, str | None]], ...]] = {
    "find-jacket": (
        [
            ("index.html", "shop-jackets"),
            ("jackets.html", "add-blue"),
            ("cart.html?add=blue-rain", None),
        ],
        [
            ("index.html", "heading"),
            ("index.html", "nav-help"),
            ("help.html", "nav-jackets"),
            ("jackets.html", "jacket-name"),
            ("jackets.html", None),
        ],
    ),
    "returns": (
        [("index.html", "nav-help"), ("help.html", None)],
        [
            ("index.html", "nav-jackets"),
            ("jackets.html", "jacket-name"),
            ("jackets.html", None),
        ],
    ),
    "checkout": (
        [
            ("cart.html", "email"),
            ("cart.html", "place-order"),
            ("confirmation.html", None),
        ],
        [("cart.html", "heading"), ("cart.html", "email"), ("cart.html", None)],
    ),
}


def _shop_visit(
    session: Session,
    p: Participant,
    attempt: TaskAttempt,
    key: str,
    success: bool,
    rng: np.random.Generator,
    start: datetime,
    seconds: float,
) -> None:
    """What the recorder would have sent for one visit to the demo shop."""
    steps = _SHOP_JOURNEYS[key][0 if success else 1]
    seq = 0
    last_page = None

    def event(kind: str, when: datetime, url: str, payload: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        session.add(
            Event(
                event_id=str(uuid.uuid4()),
                participant_id=p.id,  # type: ignore[arg-type]
                attempt_id=attempt.id,
                type=kind,
                seq=seq,
                client_ts=when,
                url=url,
                payload=payload,
            )
        )

    for n, (page, spot) in enumerate(steps):
        when = start + timedelta(seconds=seconds * (n + 0.5) / len(steps))
        url = f"{_SHOP_ORIGIN}{_SHOP}{page}"
        if page != last_page:
            event("page_view", when, url, {"title": "Northwind Outfitters"})
            last_page = page
        if spot is None:
            continue
        x, y, w, h, selector, tag, text, interactive = _SPOTS[spot]
        px = round(float(rng.normal(x + w / 2, w / 6)))
        py = round(float(rng.normal(y + h / 2, h / 6)))
        event(
            "click",
            when + timedelta(seconds=1),
            url,
            {
                "x": px,
                "y": py,
                "cx": px,
                "cy": py,
                "vw": 1280,
                "vh": 800,
                "dw": 1280,
                "dh": 800,
                "sx": 0,
                "sy": 0,
                "selector": selector,
                "tag": tag,
                "role": "",
                "text": text,
                "interactive": interactive,
                "pointer": "mouse",
            },
        )
