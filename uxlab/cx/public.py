"""The public feedback link: ``/f/<token>``, the same for email, chat and QR.

Opening a link that carries answers (``/f/<token>?nps=9``, each 0-10 button
of an email is such a link) records them at once, then shows the survey's
other questions; posting that form records the rest. The browser keeps a
random id in its session cookie, so a second click of the same link, or of
another score in the same email, changes its answer instead of adding one.

- an answer out of range: 422 listing the reasons, nothing of the request kept;
- a link nobody made: 404; a deleted survey or a paused touchpoint: 410; each
  a polite page that asks nothing of the customer;
- every request counts against ``FEEDBACK_RATE_LIMIT`` per address.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, session
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from uxlab.cx.feedback import (
    SCALES,
    LinkState,
    Opened,
    open_link,
    parse_answers,
    record,
)
from uxlab.cx.models import ChannelKind, CxResponse
from uxlab.db import get_session
from uxlab.text import render_inline_markdown
from uxlab.tokens import hash_token, new_token
from uxlab.web.auth import limiter
from uxlab.web.participant import CSP

__all__ = ["QUESTIONS", "bp"]

bp = Blueprint("cx_public", __name__, template_folder="templates")

_CLIENT = "cx_client"

#: Wording and scale ends of each rating block, as the published instruments.
QUESTIONS: dict[str, tuple[str, str, str]] = {
    "nps": (
        "How likely are you to recommend us to a friend or colleague?",
        "Not at all likely",
        "Extremely likely",
    ),
    "csat": (
        "Overall, how satisfied are you with your experience?",
        "Very dissatisfied",
        "Very satisfied",
    ),
    "ces": (
        "The company made it easy for me to handle my issue.",
        "Strongly disagree",
        "Strongly agree",
    ),
    "seq": ("Overall, how difficult or easy was it?", "Very difficult", "Very easy"),
}


@bp.after_request
def _headers(response: Response) -> Response:
    # As participant pages: no inline script or style; answers are not cached.
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _limit() -> str:
    return str(current_app.config["FEEDBACK_RATE_LIMIT"])


def _client_key() -> str:
    client = session.get(_CLIENT)
    if not isinstance(client, str):
        client = new_token()
        session[_CLIENT] = client
        session.permanent = True
    return hash_token(client)


def _existing(channel_id: int) -> CxResponse | None:

    client = session.get(_CLIENT)
    if not isinstance(client, str):
        return None
    return (
        get_session()
        .exec(
            select(CxResponse).where(
                CxResponse.channel_id == channel_id,
                CxResponse.client_key == hash_token(client),
            )
        )
        .first()
    )


def _closed(state: LinkState) -> tuple[str, int]:
    status = 404 if state is LinkState.unknown else 410
    return render_template("cx/closed.html", state=state.value), status


@bp.route("/f/<token>", methods=["GET", "POST"])
@limiter.limit(_limit)
def feedback(token: str) -> tuple[str, int]:
    """Record what the link or the form carries, then show what is left to answer."""
    db = get_session()
    opened = open_link(db, token)
    if opened.channel is not None and opened.channel.kind == ChannelKind.widget:
        opened = Opened(LinkState.unknown)  # the widget's token is no page's link
    if opened.state is not LinkState.open:
        return _closed(opened.state)
    survey, channel = opened.survey, opened.channel
    assert survey is not None and channel is not None and channel.id is not None
    values: MultiDict[str, str] = (
        request.form if request.method == "POST" else request.args
    )
    answers = parse_answers(survey, {k: values.get(k, "") for k in values})
    context: dict[str, Any] = {
        "token": token,
        "touchpoint": opened.touchpoint,
        "survey": survey,
        "questions": QUESTIONS,
        "scales": SCALES,
        "open_question": render_inline_markdown(survey.open_question),
    }
    if answers.errors:
        current = _existing(channel.id)
        page = render_template(
            "cx/feedback.html",
            errors=answers.errors,
            answered=_answered(current),
            values=values,
            carry=answers.hidden,
            **context,
        )
        return page, 422
    stored = record(db, opened, _client_key(), answers)
    current = stored or _existing(channel.id)
    answered = _answered(current)
    finished = bool(answered) and (
        request.method == "POST" or all(b in answered for b in survey.blocks)
    )
    return (
        render_template(
            "cx/feedback.html",
            errors={},
            answered=answered,
            values=MultiDict(),
            carry=answers.hidden,
            finished=finished,
            **context,
        ),
        200,
    )


def _answered(response: CxResponse | None) -> dict[str, Any]:
    """The blocks this browser has answered, with their answers."""
    if response is None:
        return {}
    found: dict[str, Any] = {}
    for block in SCALES:
        value = getattr(response, block)
        if value is not None:
            found[block] = value
    if response.open_text:
        found["open"] = response.open_text
    return found
