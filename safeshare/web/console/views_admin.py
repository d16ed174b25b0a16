"""Admin only: staff accounts (create, deactivate, unlock) and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from safeshare.db.models import AuditLog, StaffUser
from safeshare.errors import AuthError
from safeshare.web import accounts
from safeshare.web.console import auth
from safeshare.web.console.blueprint import bp
from safeshare.web.console.context import aware, db, now
from safeshare.web.console.forms import UserCreateForm
from safeshare.web.console.views_inquiries import _form_errors

AUDIT_PAGE = 50


def _user(user_id: int) -> StaffUser:
    user = db().get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users", methods=["GET", "POST"])
@auth.admin_required
def users() -> Response | str:
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db(), form.username.data or "", form.role.data or "", form.password.data or ""
            )
        except AuthError as error:
            flash(str(error), "error")
        else:
            auth.audit("user_create", target=user.username, detail=f"role={user.role}")
            db().commit()
            flash(f"Created {user.role} account “{user.username}”.", "success")
            return redirect(url_for("console.users"))
    elif request.method == "POST":
        _form_errors(form)
    rows = db().execute(sa.select(StaffUser).order_by(StaffUser.username)).scalars().all()
    return render_template("console/users.html", users=rows, form=form, moment=now(), aware=aware)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@auth.admin_required
def set_active(user_id: int) -> Response:
    user = _user(user_id)
    active = request.form.get("active") == "1"
    if user.id == auth.current_user().id and not active:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("console.users"))
    user.active = active
    if not active:
        auth.end_all_sessions(user)
    auth.audit("user_activate" if active else "user_deactivate", target=user.username)
    db().commit()
    flash(f"“{user.username}” is {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for("console.users"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@auth.admin_required
def unlock(user_id: int) -> Response:
    user = _user(user_id)
    user.locked_until = None
    user.failed_logins = 0
    auth.audit("user_unlock", target=user.username)
    db().commit()
    flash(f"“{user.username}” can sign in again.", "success")
    return redirect(url_for("console.users"))


@bp.route("/audit")
@auth.admin_required
def audit_log() -> str:
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    action = request.args.get("action", "")[:64]
    query = sa.select(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    total = int(db().execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one())
    rows = (
        db()
        .execute(
            query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(AUDIT_PAGE)
            .offset((page - 1) * AUDIT_PAGE)
        )
        .scalars()
        .all()
    )
    actions = [a for (a,) in db().execute(sa.select(AuditLog.action).distinct().order_by(AuditLog.action))]
    return render_template(
        "console/audit.html",
        rows=rows,
        page=page,
        action=action,
        actions=actions,
        pages=max(1, -(-total // AUDIT_PAGE)),
        total=total,
    )
