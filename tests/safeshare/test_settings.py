"""Settings (safeshare/settings.py) are read once from the environment, and the defaults live
there only: .env.example states the same ones, the launcher derives its ports from them, and
docker-compose.yml, the container's entry point and the proxy agree with them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from safeshare import launcher
from safeshare.settings import DEFAULTS, ENV_VARS, PROJECT_ROOT, load_settings

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
# What docker-compose.yml sets differently from the one-machine default, and why.
COMPOSE_OVERRIDES = {
    "SAFESHARE_TRUSTED_PROXIES": "the web app sits behind the proxy",
}


@pytest.fixture()
def defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Settings as they are with no variable set (secrets generated into tmp_path)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFESHARE_VAR_DIR", str(tmp_path))
    return load_settings()


def env_example_comments() -> dict[str, str]:
    """Each variable of .env.example (above the docker-compose section) → its comment line."""
    text = ENV_EXAMPLE.read_text().split("# --- docker-compose only", 1)[0]
    lines = text.splitlines()
    return {
        m.group(1): lines[i - 1]
        for i, line in enumerate(lines)
        if (m := re.match(r"^([A-Z][A-Z0-9_]+)=", line))
    }


def test_env_example_lists_every_variable_and_nothing_else() -> None:
    text = ENV_EXAMPLE.read_text()
    documented = re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.M)
    compose_only = set()
    if "# --- docker-compose only" in text:
        compose_only = set(
            re.findall(r"^([A-Z][A-Z0-9_]+)=", text.split("# --- docker-compose only", 1)[1], re.M)
        )
    assert set(documented) - compose_only == set(ENV_VARS)
    for name in ENV_VARS:
        line = text.index(f"\n{name}=")
        assert text[:line].rstrip().splitlines()[-1].startswith("#"), f"{name} has no comment"
    assert all(
        re.match(r"^[A-Z][A-Z0-9_]+=$", line)
        for line in text.splitlines()
        if "=" in line[:40] and line[0] != "#"
    )


def test_env_example_states_each_default_as_settings_has_it() -> None:
    """`(default X)` in a variable's comment is DEFAULTS[name]; one worked out from other settings
    is written `by default ...`, never `(default ...)`."""
    for name, comment in env_example_comments().items():
        stated = re.search(r"\(default ([^)\s;,]+)", comment)
        if DEFAULTS[name]:
            assert stated, f"{name}: say (default {DEFAULTS[name]}) in .env.example"
            assert stated.group(1) == DEFAULTS[name], f"{name}: .env.example says {stated.group(1)}"
        else:
            assert not stated, f"{name} has no default of its own in settings.py"


def test_every_variable_is_read(defaults, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    samples = {"SAFESHARE_VAR_DIR": str(tmp_path / "elsewhere"), "SAFESHARE_COOKIE_SECURE": "true"}
    for name in ENV_VARS:
        value = samples.get(name) or ("7" if DEFAULTS[name].isdigit() else "x-sample")
        monkeypatch.setenv(name, value)
        changed = load_settings()
        monkeypatch.delenv(name)
        monkeypatch.setenv("SAFESHARE_VAR_DIR", str(defaults.var_dir))  # never the project's var/
        assert dataclasses.asdict(changed) != dataclasses.asdict(defaults), f"{name} is not read"


def test_defaults_are_embedded(defaults, tmp_path: Path) -> None:
    settings = defaults
    assert settings.database_url == f"sqlite:///{tmp_path / 'safeshare.db'}"
    assert settings.tracker_db_url.startswith("sqlite:///")
    assert settings.redis_url == ""
    assert settings.retention_days == 180
    assert settings.cookie_secure is False  # localhost
    assert settings.public_url == "http://127.0.0.1:8000" and settings.rasa_public_url == settings.rasa_url
    # secrets are generated once, kept private, and stable
    secret = tmp_path / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert load_settings().secret_key == settings.secret_key
    assert settings.public_dict()["secret_key"] == "***"


def default_ports() -> dict[str, int]:
    return {
        "rasa": int(urlsplit(DEFAULTS["RASA_URL"]).port or 0),
        "actions": int(urlsplit(DEFAULTS["ACTION_ENDPOINT_URL"]).port or 0),
        "web": int(DEFAULTS["SAFESHARE_WEB_PORT"]),
        "telegram": int(DEFAULTS["TELEGRAM_WEBHOOK_PORT"]),
    }


def test_the_launcher_agrees_with_the_default_ports(defaults) -> None:
    ports = launcher.Ports.from_settings(defaults)
    expected = default_ports()
    assert (ports.rasa, ports.actions, ports.web) == (expected["rasa"], expected["actions"], expected["web"])


def test_docker_compose_leaves_the_defaults_to_the_settings() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name, fallback in re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}", text):
        if name in DEFAULTS and name not in COMPOSE_OVERRIDES:
            assert fallback == "", f"docker-compose.yml gives {name} its own default ({fallback})"
    services = yaml.safe_load(text)["services"]
    ports = default_ports()
    web, telegram = services["web"]["environment"], services["telegram"]["environment"]
    assert int(web["SAFESHARE_WEB_PORT"]) == ports["web"]
    assert int(telegram["TELEGRAM_WEBHOOK_PORT"]) == ports["telegram"]
    app_env = services["actions"]["environment"]
    assert urlsplit(app_env["ACTION_ENDPOINT_URL"]).port == ports["actions"]


def test_the_containers_listen_on_the_default_ports() -> None:
    ports = default_ports()
    services = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]
    for service in ("rasa", "actions", "web"):
        probe = " ".join(services[service]["healthcheck"]["test"])
        assert re.search(rf"127\.0\.0\.1:{ports[service]}/", probe), service
    entrypoint = (PROJECT_ROOT / "deploy" / "docker-entrypoint.sh").read_text(encoding="utf-8")
    assert f"--port {ports['rasa']} " in entrypoint and f"--port {ports['actions']} " in entrypoint
    assert f'--port "${{SAFESHARE_WEB_PORT:-{ports["web"]}}}"' in entrypoint
    proxy = (PROJECT_ROOT / "deploy" / "nginx" / "compose.conf").read_text(encoding="utf-8")
    upstreams = dict(re.findall(r"server (rasa|web|telegram):(\d+)", proxy))
    assert {name: int(port) for name, port in upstreams.items()} == {
        "rasa": ports["rasa"],
        "web": ports["web"],
        "telegram": ports["telegram"],
    }
    dockerfile = (PROJECT_ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {ports['rasa']} {ports['actions']} {ports['web']}" in dockerfile
