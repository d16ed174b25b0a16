"""Staff accounts: Argon2id password hashes and the `create-user` command.

There is no default account and no default password: the first admin is made on the server with
`python -m safeshare create-user NAME --role admin` (`make user NAME=.. ROLE=..`), which asks for
the password twice (or reads one line from standard input when it is not a terminal, for scripts),
so a password never appears in shell history or in a process listing.
"""

from __future__ import annotations

import getpass
import re
import secrets
import sys
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from safeshare.db.models import Role, StaffUser
from safeshare.errors import AuthError

MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[A-Za-z0-9._-]{2,64}$")

# argon2-cffi's defaults are the RFC 9106 "low memory" Argon2id profile: strong and fast enough
# for a login form on a 2-core machine.
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the username does not exist, so a wrong name costs as long as a
    wrong password and response times do not reveal which accounts exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (upgrade it at login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is refused, or None. Length is what matters; no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
    if username and username.lower() in password.lower():
        return "The password must not contain the username."
    if len(set(password)) < 4:
        return "The password is too repetitive."
    return None


def get_user(session: Session, username: str) -> StaffUser | None:
    return session.execute(
        sa.select(StaffUser).where(sa.func.lower(StaffUser.username) == username.strip().lower())
    ).scalar_one_or_none()


def create_user(session: Session, username: str, role: str, password: str) -> StaffUser:
    """Add an active staff account; raises AuthError for a bad name, role or password."""
    username = username.strip()
    if not USERNAME.match(username):
        raise AuthError("Usernames are 2-64 letters, digits, dots, dashes or underscores.")
    if role not in {r.value for r in Role}:
        raise AuthError(f"Unknown role {role!r}: use reviewer or admin.")
    problem = password_problem(password, username)
    if problem:
        raise AuthError(problem)
    if get_user(session, username) is not None:
        raise AuthError(f"A user named {username!r} already exists.")
    user = StaffUser(
        username=username,
        password_hash=hash_password(password),
        role=role,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (12 characters or more): ")
    second = getpass.getpass("Same password again: ")
    if first != second:
        raise AuthError("The two passwords differ.")
    return first


def create_user_cli(username: str, role: str) -> int:
    """`python -m safeshare create-user`: exit status 0 when the account was created."""
    from safeshare.db.migrate import upgrade
    from safeshare.db.models import AuditLog
    from safeshare.db.session import session_scope

    try:
        password = _read_password()
        upgrade()
        with session_scope() as session:
            user = create_user(session, username, role, password)
            session.add(
                AuditLog(action="user_create", target=user.username, detail=f"role={role} (command line)")
            )
    except AuthError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"created {role} account {username!r}; sign in at /console/login")
    return 0
