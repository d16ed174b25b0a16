"""One set of YAML files for both set-ups: the environment alone switches the embedded default
(SQLite tracker store, in-process locks) to the scaled one (PostgreSQL, Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rasa.core.lock_store import InMemoryLockStore

from safeshare.rasa_ext.lock_store import EnvLockStore, FileLockStore, ResilientRedisLockStore
from safeshare.settings import PROJECT_ROOT, get_settings


@pytest.fixture()
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_endpoints_name_store_types_only() -> None:
    """Hosts, URLs and passwords in endpoints.yml would need a second file per set-up: the stores
    are named by type, with only settings that are the same everywhere (the tracker's window, the
    selective domain)."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["tracker_store"] == {
        "type": "safeshare.rasa_ext.tracker_store.PrivateSQLTrackerStore",
        "window_turns": 8,
    }
    assert endpoints["lock_store"] == {"type": "safeshare.rasa_ext.lock_store.EnvLockStore"}
    assert endpoints["action_endpoint"] == {"url": "${ACTION_ENDPOINT_URL}", "enable_selective_domain": True}


def test_there_are_no_yaml_variants() -> None:
    variants = [
        p.relative_to(PROJECT_ROOT)
        for pattern in ("endpoints*.yml", "credentials*.yml", "endpoints*.yaml")
        for folder in (PROJECT_ROOT, PROJECT_ROOT / "deploy")
        for p in folder.glob(pattern)
    ]
    assert sorted(map(str, variants)) == ["credentials.yml", "endpoints.yml"]
    entrypoint = (PROJECT_ROOT / "deploy" / "docker-entrypoint.sh").read_text(encoding="utf-8")
    assert "--endpoints endpoints.yml --credentials credentials.yml" in entrypoint


def test_no_redis_url_means_in_process_locks(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.delenv("REDIS_URL", raising=False)
    assert isinstance(EnvLockStore(None), InMemoryLockStore)


def test_redis_url_means_the_shared_redis_lock_store(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.setenv("REDIS_URL", "redis://:s3cret@redis.internal:6380/3")
    store = EnvLockStore(None)
    assert isinstance(store, ResilientRedisLockStore)
    connection = store.red.connection_pool.connection_kwargs  # redis-py connects lazily
    assert (connection["host"], connection["port"], connection["db"]) == ("redis.internal", 6380, 3)
    assert connection["password"] == "s3cret"
    assert store.key_prefix == "safeshare:lock:"


def test_a_lock_dir_means_lock_files_even_with_redis(
    fresh_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`make run`'s processes share a machine: lock files, with Redis only for the widget."""
    fresh_settings.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    fresh_settings.setenv("SAFESHARE_LOCK_DIR", str(tmp_path / "locks"))
    store = EnvLockStore(None)
    assert isinstance(store, FileLockStore) and store.folder == tmp_path / "locks"


def test_tracker_store_url_comes_from_the_environment(
    fresh_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from safeshare.rasa_ext.tracker_store import PrivateSQLTrackerStore

    database = tmp_path / "nested" / "tracker.db"
    fresh_settings.setenv("TRACKER_DB_URL", f"sqlite:///{database}")
    store = PrivateSQLTrackerStore()
    try:
        assert store.engine.url.database == str(database)
        assert database.exists()  # Rasa created its events table there
    finally:
        store.engine.dispose()
