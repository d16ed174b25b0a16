"""Fixtures for the staff console: the Flask app on a fresh migrated SQLite database, staff
accounts, inquiries, and a logged-in test client that submits forms with their CSRF token."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from safeshare.db import repository
from safeshare.db.session import engine_for, session_scope
from safeshare.launcher import free_port
from safeshare.settings import Settings, get_settings
from safeshare.web import accounts
from safeshare.web.app import create_app

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture()
def settings(sqlite_url: str, tmp_path: Any) -> Settings:
    # Rasa is "down" (nothing listens on that port) unless a test says otherwise.
    return dataclasses.replace(
        get_settings(),
        database_url=sqlite_url,
        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        rasa_url=f"http://127.0.0.1:{free_port()}",
        cookie_secure=False,
    )


@pytest.fixture()
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    engine_for(settings.database_url).dispose()


def store(settings: Settings):
    return session_scope(engine_for(settings.database_url))


def make_user(settings: Settings, username: str, role: str = "reviewer", password: str = PASSWORD) -> int:
    with store(settings) as session:
        return accounts.create_user(session, username, role, password).id


def make_inquiry(settings: Settings, reference: str = "SS-ABCDE", **fields: Any) -> str:
    values: dict[str, Any] = {
        "reference": reference,
        "channel": "rest",
        "sender_key": "sender-" + reference,
        "language": "en",
        "question": "Can the school post my child's photo on Instagram?",
        "reason": "human_handoff",
        "transcript": [{"who": "user", "text": "I want to talk to a real person"}],
        "nlu_guesses": [{"intent": "school_photos", "confidence": 0.48}],
    }
    values.update(fields)
    with store(settings) as session:
        repository.create_inquiry(session, repository.NewInquiry(**values))
    return reference


class Console:
    """A test client that knows the console's forms: `post` adds the CSRF token of the session."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, page: str = "/console/login") -> str:
        response = self.client.get(page)
        match = CSRF.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} ({response.status_code})"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        token = self.token("/console/login")
        return self.client.post(
            "/console/login", data={"csrf_token": token, "username": username, "password": password}
        )

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(
        self, url: str, data: dict[str, Any] | None = None, page: str = "/console/", **kwargs: Any
    ) -> Any:
        body = dict(data or {})
        body["csrf_token"] = self.token(page)
        return self.client.post(url, data=body, **kwargs)


@pytest.fixture()
def console(app: Flask) -> Console:
    return Console(app.test_client())


@pytest.fixture()
def reviewer(settings: Settings, console: Console) -> Console:
    make_user(settings, "rita", "reviewer")
    assert console.login("rita").status_code == 302
    return console


@pytest.fixture()
def admin(settings: Settings, console: Console) -> Console:
    make_user(settings, "adam", "admin")
    assert console.login("adam").status_code == 302
    return console
