"""The staff console (/console): the inquiry queue, answering, improving the assistant, dashboard.

Every page needs a login (`auth.require_login` runs before each view); admin-only views say so with
`auth.admin_required`. Modules: `blueprint` (the `bp` the views register on), `auth` (sessions,
throttling, roles, audit), `forms`, `queries` (read models for the pages), `charts` (inline SVG
geometry), `export` (Rasa NLU YAML), and one views module per area.
"""

from __future__ import annotations

# Views register their routes on `bp` (safeshare.web.console.blueprint) when imported.
from safeshare.web.console import (  # noqa: F401
    auth,
    views_admin,
    views_auth,
    views_dashboard,
    views_improve,
    views_inquiries,
)
from safeshare.web.console.blueprint import bp

__all__ = ["bp"]

bp.before_request(auth.require_login)
