"""Pages for automations (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("automations", __name__)
