"""Staff accounts: Argon2 hashes, password rules, and `python -m safeshare create-user`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from safeshare.db.models import AuditLog, StaffUser
from safeshare.errors import AuthError
from safeshare.settings import PROJECT_ROOT, Settings
from safeshare.web import accounts
from tests.console.conftest import store


def test_hash_is_argon2id_and_verifies() -> None:
    digest = accounts.hash_password("a very long passphrase")
    assert digest.startswith("$argon2id$")
    assert accounts.verify_password(digest, "a very long passphrase")
    assert not accounts.verify_password(digest, "a very long passphrasE")
    assert not accounts.verify_password(None, "a very long passphrase")
    assert not accounts.verify_password("not a hash", "whatever")


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short pass", "at least 12 characters"),
        ("aaaaaaaaaaaaaaa", "too repetitive"),
        ("my-name-is-alice!", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused(password: str, problem: str) -> None:
    assert problem in (accounts.password_problem(password, "alice") or "")


def test_create_user_validates(settings: Settings) -> None:
    with store(settings) as session:
        accounts.create_user(session, "alice", "admin", "good long passphrase")
        for name, role, password in [
            ("alice", "reviewer", "good long passphrase"),
            ("ALICE", "reviewer", "good long passphrase"),
            ("bob", "root", "good long passphrase"),
            ("bo b", "reviewer", "good long passphrase"),
            ("bob", "reviewer", "short"),
        ]:
            with pytest.raises(AuthError):
                accounts.create_user(session, name, role, password)


def run_cli(settings: Settings, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=settings.database_url)
    return subprocess.run(
        [sys.executable, "-m", "safeshare", "create-user", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )


def test_create_user_cli_reads_the_password_from_stdin(settings: Settings) -> None:
    result = run_cli(settings, "alice", "--role", "admin", stdin="correct horse battery\n")
    assert result.returncode == 0, result.stderr
    assert "created admin account 'alice'" in result.stdout
    assert "correct horse battery" not in result.stdout + result.stderr
    with store(settings) as session:
        user = session.execute(sa.select(StaffUser)).scalar_one()
        assert (user.username, user.role, user.active) == ("alice", "admin", True)
        assert user.password_hash.startswith("$argon2id$")
        assert accounts.verify_password(user.password_hash, "correct horse battery")
        assert session.execute(sa.select(AuditLog.action)).scalar_one() == "user_create"


@pytest.mark.parametrize("stdin, message", [("", "at least 12"), ("tooshort\n", "at least 12")])
def test_create_user_cli_refuses_weak_or_missing_password(
    settings: Settings, stdin: str, message: str
) -> None:
    result = run_cli(settings, "bob", stdin=stdin)
    assert result.returncode == 1
    assert message in result.stderr
    with store(settings) as session:
        assert session.execute(sa.select(StaffUser)).first() is None


def test_create_user_cli_refuses_a_duplicate(settings: Settings) -> None:
    assert run_cli(settings, "carol", stdin="first long password\n").returncode == 0
    result = run_cli(settings, "carol", stdin="second long password\n")
    assert result.returncode == 1 and "already exists" in result.stderr
