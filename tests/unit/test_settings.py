import re
from pathlib import Path

from safeshare.settings import ENV_VARS, PROJECT_ROOT, load_settings


def test_env_example_lists_every_variable_and_nothing_else():
    text = (PROJECT_ROOT / ".env.example").read_text()
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


def test_every_env_var_is_read_by_settings():
    source = (PROJECT_ROOT / "safeshare" / "settings.py").read_text()
    body = source.split("ENV_VARS", 1)[0]
    for name in ENV_VARS:
        assert f'"{name}"' in body, name


def test_defaults_are_embedded(monkeypatch, tmp_path: Path):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFESHARE_VAR_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'safeshare.db'}"
    assert settings.tracker_db_url.startswith("sqlite:///")
    assert settings.redis_url == ""
    assert settings.retention_days == 180
    assert settings.cookie_secure is False  # localhost
    # secrets are generated once, kept private, and stable
    secret = tmp_path / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert load_settings().secret_key == settings.secret_key
    assert settings.public_dict()["secret_key"] == "***"
