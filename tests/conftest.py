"""Shared fixtures: an isolated var/ for every run, real PostgreSQL/Redis when configured, and the
real stack (trained model, Rasa server, action server, web app) started once per session.

PostgreSQL and Redis tests run when TEST_POSTGRES_URL / TEST_REDIS_URL are set (.ci/run sets
them) and are skipped, saying why, when they are not.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_RUN_DIR = Path(tempfile.mkdtemp(prefix="safeshare-test-"))
# Before any project module reads its settings: nothing a test does touches the real var/.
os.environ.update(
    {
        "SAFESHARE_VAR_DIR": str(_RUN_DIR / "var"),
        "DATABASE_URL": f"sqlite:///{_RUN_DIR / 'var' / 'safeshare.db'}",
        "TRACKER_DB_URL": f"sqlite:///{_RUN_DIR / 'var' / 'tracker.db'}",
        "SAFESHARE_SECRET_KEY": "test-secret-key",
        "RASA_TOKEN": "test-rasa-token",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
)
os.environ.pop("REDIS_URL", None)
os.environ.pop("TELEGRAM_BOT_TOKEN", None)

from safeshare import launcher  # noqa: E402
from safeshare.settings import get_settings  # noqa: E402
from tests.helpers import REPORTS  # noqa: E402


@pytest.fixture(scope="session")
def run_dir() -> Path:
    return _RUN_DIR


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database with the migrations applied."""
    from safeshare.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    return url


@pytest.fixture()
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database (created and dropped by the test), migrations applied."""
    from safeshare.db.scratch import scratch_database
    from safeshare.db.session import engine_for

    with scratch_database(postgres_admin_url, "safeshare_test") as url:
        try:
            yield url
        finally:
            engine_for.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Run a store test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests skipped")
    return url


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not launcher.MODEL.exists():
        pytest.fail("no trained model at models/safeshare.tar.gz: run `make train` first")
    return launcher.MODEL


@pytest.fixture(scope="session")
def stack(trained_model: Path) -> Iterator[launcher.Stack]:
    """The real assistant: action server + Rasa server (+ web app) on free ports, SQLite under the
    run's temporary var/. Logs go to <run dir>/logs for failures."""
    from safeshare.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    ports = launcher.Ports.free()
    env = launcher.stack_env(ports)
    logs = _RUN_DIR / "logs"
    logs.mkdir(exist_ok=True)
    running = launcher.Stack(ports, env)
    try:
        actions = running.start("actions", launcher.actions_argv(ports), logs / "actions.log")
        launcher.wait_http(f"http://127.0.0.1:{ports.actions}/health", process=actions)
        rasa = running.start(
            "rasa",
            launcher.rasa_argv(ports, settings.rasa_token, trained_model),
            logs / "rasa.log",
        )
        launcher.wait_rasa_ready(running.rasa_url, process=rasa)
        web = running.start("web", launcher.web_argv(ports), logs / "web.log")
        launcher.wait_http(f"{running.web_url}/healthz", process=web)
        os.environ["RASA_URL"] = running.rasa_url
        os.environ["SAFESHARE_PUBLIC_URL"] = running.web_url
        os.environ["SAFESHARE_WEB_PORT"] = str(ports.web)
        get_settings.cache_clear()
        yield running
    finally:
        running.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    """Scores worth reading in the CI log (held-out accuracy and the like)."""
    if REPORTS:
        terminalreporter.section("SafeShare measurements")
        for line in REPORTS:
            terminalreporter.write_line(line)
