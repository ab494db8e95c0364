"""The feedback widget on the demo shop's order confirmation page.

The demo shop (``static/demo-shop/``) is a static site, so its confirmation
page cannot carry the Checkout touchpoint's widget token itself: the token is
derived from this instance's secret. It loads ``/demo-shop/feedback.js``
instead, which adds the widget's ``<script>`` tag with the token of the demo
journey's Checkout touchpoint and the order number shown on the page, exactly
as a site owner would paste it. Where ``uxlab demo`` has not run (or its
Checkout survey was deleted) the script does nothing.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, url_for
from sqlmodel import col, select

from uxlab.cx.journeys import channel_token
from uxlab.cx.models import ChannelKind, CxChannel, CxJourney, CxSurvey, CxTouchpoint
from uxlab.db import get_session
from uxlab.models import Workspace

__all__ = ["DEMO_JOURNEY", "DEMO_TOUCHPOINT", "bp"]

#: The journey and touchpoint ``uxlab demo`` seeds, whose widget the shop shows.
DEMO_JOURNEY = "Buy online"
DEMO_TOUCHPOINT = "Checkout"

bp = Blueprint("cx_demo_shop", __name__)

_LOADER = """(function () {
  var order = document.getElementById("order-number");
  var tag = document.createElement("script");
  tag.src = %(src)s;
  tag.async = true;
  tag.setAttribute("data-touchpoint", %(token)s);
  if (order) tag.setAttribute("data-field-order", order.textContent.trim());
  document.head.appendChild(tag);
})();
"""


def _demo_widget_token() -> str | None:
    """The widget token of the demo journey's Checkout touchpoint, if it has one."""
    from uxlab.demo import DEMO_TEAM

    db = get_session()
    channel = db.exec(
        select(CxChannel)
        .join(CxSurvey, col(CxSurvey.id) == CxChannel.survey_id)
        .join(CxTouchpoint, col(CxTouchpoint.id) == CxSurvey.touchpoint_id)
        .join(CxJourney, col(CxJourney.id) == CxTouchpoint.journey_id)
        .join(Workspace, col(Workspace.id) == CxJourney.workspace_id)
        .where(
            Workspace.name == DEMO_TEAM,
            CxJourney.name == DEMO_JOURNEY,
            CxTouchpoint.name == DEMO_TOUCHPOINT,
            CxChannel.kind == ChannelKind.widget,
            col(CxSurvey.deleted_at).is_(None),
        )
        .order_by(col(CxChannel.id))
    ).first()
    if channel is None:
        return None
    return channel_token(channel, str(current_app.config["SECRET_KEY"]))


@bp.route("/demo-shop/feedback.js")
def feedback_js() -> Response:
    """The script that puts the demo Checkout widget on the confirmation page."""
    token = _demo_widget_token()
    if token is None:
        body = "/* No demo journey here: run `uxlab demo` to seed one. */\n"
    else:
        src = url_for("static", filename="feedback-widget.js")
        body = _LOADER % {"src": json.dumps(src), "token": json.dumps(token)}
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-store"
    return response
