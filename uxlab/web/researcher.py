"""Researcher pages (behind login): studies, links, progress, exports."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from uxlab.db import get_session
from uxlab.studies import list_studies
from flask_login import current_user

__all__ = ["bp"]

bp = Blueprint("researcher", __name__)


@bp.route("/")
@login_required  # type: ignore[misc]
def index() -> str:
    """List the logged-in researcher's studies."""
    rows = list_studies(get_session(), owner_email=current_user.email)
    return render_template("researcher/index.html", studies=rows)
