"""Sign in and sign out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from safeshare.errors import AuthError, LoginThrottled
from safeshare.web.console import auth
from safeshare.web.console.blueprint import bp
from safeshare.web.console.context import db
from safeshare.web.console.forms import LoginForm


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET" and auth.load_user() is not None:
        return redirect(auth.safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.username.data or "", form.password.data or "")
        except LoginThrottled as error:
            flash(str(error), "error")
            status = 429
        except AuthError as error:
            flash(str(error), "error")
            status = 401
        else:
            auth.start_session(user)
            return redirect(auth.safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("console/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    user = auth.current_user()
    if user is not None:
        auth.audit("logout", target=user.username)
    auth.end_session()
    db().commit()
    flash("You are signed out.", "info")
    return redirect(url_for("console.login"))
