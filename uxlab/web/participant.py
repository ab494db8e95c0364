"""Participant pages (no login): consent, tasks, questionnaires, thank-you."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("participant", __name__)
