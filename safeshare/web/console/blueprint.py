"""The console's Flask blueprint, on its own so that the views modules can register their routes
on it without importing the package that imports them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
