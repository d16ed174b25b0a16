"""docker-compose.yml, deploy/Dockerfile and the proxy configuration, checked without an engine.

`docker-compose config` (Debian's docker-compose 1.29.2) validates the file and prints it with
every variable resolved; the tests read that output, so they check what Compose would run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from safeshare.settings import ENV_VARS, PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
NGINX_DIR = PROJECT_ROOT / "deploy" / "nginx"
COMPOSE_ONLY_HEADING = "# --- docker-compose only"
REQUIRED = {
    "POSTGRES_PASSWORD": "pg-test-password",
    "SAFESHARE_SECRET_KEY": "compose-test-secret",
    "RASA_TOKEN": "compose-test-token",
    "SAFESHARE_PUBLIC_URL": "https://safeshare.example.org",
}
APP_SERVICES = {"migrate", "train", "actions", "rasa", "web", "telegram", "retention"}
LONG_RUNNING = {"postgres", "redis", "actions", "rasa", "web", "telegram", "retention", "proxy"}
ONE_SHOT = {"migrate", "train"}

docker_compose = shutil.which("docker-compose")
needs_compose = pytest.mark.skipif(
    docker_compose is None,
    reason="docker-compose not installed (apt-get install docker-compose): compose checks skipped",
)


def compose_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text(encoding="utf-8")))


def compose_only_variables() -> set[str]:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert COMPOSE_ONLY_HEADING in text, ".env.example has no docker-compose only section"
    section = text.split(COMPOSE_ONLY_HEADING, 1)[1]
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", section, re.M))


def run_compose(tmp_path: Path, values: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Compose with exactly `values` as its environment file; the caller's shell variables
    (and a developer's own .env) cannot leak in."""
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    names = compose_variables() | set(ENV_VARS)
    env = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [
            docker_compose,
            "--env-file",
            str(env_file),
            "--project-directory",
            str(PROJECT_ROOT),
            "-f",
            str(COMPOSE_FILE),
            *args,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if docker_compose is None:
        pytest.skip("docker-compose not installed (apt-get install docker-compose)")
    result = run_compose(tmp_path_factory.mktemp("compose"), REQUIRED, "config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@needs_compose
def test_compose_file_validates(tmp_path: Path) -> None:
    result = run_compose(tmp_path, REQUIRED, "config", "-q")
    assert result.returncode == 0, result.stderr


@needs_compose
@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_refuses_to_run_without_a_shared_secret(tmp_path: Path, missing: str) -> None:
    """Each container would otherwise generate its own secret into its own var/: sender keys
    and Rasa tokens would differ between the processes of one deployment."""
    values = {k: v for k, v in REQUIRED.items() if k != missing}
    result = run_compose(tmp_path, values, "config", "-q")
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


def test_every_compose_variable_is_a_setting_or_documented_as_compose_only() -> None:
    compose_only = compose_only_variables()
    used = compose_variables()
    undocumented = used - set(ENV_VARS) - compose_only
    assert not undocumented, f"add to safeshare/settings.py + .env.example: {undocumented}"
    assert not compose_only & set(ENV_VARS), "a setting is listed as docker-compose only"
    assert compose_only <= used, f"documented but unused: {compose_only - used}"


def test_services_and_their_rules(resolved: dict) -> None:
    services = resolved["services"]
    assert set(services) == APP_SERVICES | {"postgres", "redis", "proxy"}
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
    # The relay has no port to probe in polling mode; every other long-running service has one.
    for name in LONG_RUNNING - {"telegram"}:
        assert services[name]["healthcheck"]["test"], name
    for name in ONE_SHOT:
        assert services[name]["restart"] == "no", name
    assert services["telegram"]["profiles"] == ["telegram"]
    assert services["rasa"]["deploy"]["replicas"] == 2
    assert "container_name" not in services["rasa"]  # --scale needs anonymous replicas
    assert services["rasa"]["command"] == ["rasa"]
    assert services["retention"]["command"] == ["retention-daily"]
    assert services["migrate"]["command"] == ["migrate"]


def test_startup_order(resolved: dict) -> None:
    services = resolved["services"]

    def depends(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name].get("depends_on", {}).items()}

    assert depends("migrate") == {"postgres": "service_healthy"}
    for name in ("actions", "web", "retention"):
        assert depends(name)["migrate"] == "service_completed_successfully", name
    rasa = depends("rasa")
    assert rasa["train"] == "service_completed_successfully"
    assert rasa["postgres"] == rasa["redis"] == "service_healthy"
    assert depends("proxy") == {"rasa": "service_healthy", "web": "service_healthy"}


def test_images_are_pinned_by_exact_tag(resolved: dict) -> None:
    services = resolved["services"]
    assert re.fullmatch(r"postgres:15\.\d+-alpine", services["postgres"]["image"])
    assert re.fullmatch(r"redis:7\.\d+\.\d+-alpine", services["redis"]["image"])
    assert re.fullmatch(r"nginx:1\.2\d\.\d+-alpine", services["proxy"]["image"])
    for name in APP_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert services[name]["image"] == services["rasa"]["image"], name
    dockerfile = (PROJECT_ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.10\.\d+-slim-bookworm$", dockerfile, re.M)
    assert "latest" not in dockerfile


def test_image_runs_as_non_root() -> None:
    dockerfile = (PROJECT_ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    # The runtime stage (the last FROM) sets that user before its entrypoint.
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    assert runtime.index("\nUSER ") < runtime.index("\nENTRYPOINT ")


def test_every_process_shares_the_stores_and_secrets(resolved: dict) -> None:
    services = resolved["services"]
    environments = [services[name]["environment"] for name in APP_SERVICES]
    for env in environments:
        assert env["SAFESHARE_SECRET_KEY"] == REQUIRED["SAFESHARE_SECRET_KEY"]
        assert env["RASA_TOKEN"] == REQUIRED["RASA_TOKEN"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg2://safeshare:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/safeshare")
        assert env["TRACKER_DB_URL"] == env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["RASA_URL"] == "http://proxy:8081"
        assert env["RASA_PUBLIC_URL"] == REQUIRED["SAFESHARE_PUBLIC_URL"]
    allowed = set(ENV_VARS) | compose_only_variables() | {"RASA_TELEMETRY_ENABLED"}
    for name in APP_SERVICES:
        unknown = set(services[name]["environment"]) - allowed
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == REQUIRED["POSTGRES_PASSWORD"]
    # The console sees client addresses through the proxy (login throttling, audit log).
    assert services["web"]["environment"]["SAFESHARE_TRUSTED_PROXIES"] == "1"


def test_data_lives_on_named_volumes(resolved: dict) -> None:
    services = resolved["services"]
    assert {"pgdata", "models", "spool"} <= set(resolved["volumes"])

    def mounts(name: str) -> list[str]:
        return [str(v) for v in services[name].get("volumes", [])]

    assert any(m.startswith("pgdata:/var/lib/postgresql/data") for m in mounts("postgres"))
    assert any(m.startswith("models:/app/models:rw") for m in mounts("train"))
    assert any(m.startswith("models:/app/models:ro") for m in mounts("rasa"))
    assert any(m.startswith("spool:/app/var/spool") for m in mounts("actions"))


def test_only_the_proxy_is_published_and_only_on_loopback_by_default(resolved: dict) -> None:
    services = resolved["services"]
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"proxy"}
    (port,) = services["proxy"]["ports"]
    if isinstance(port, str):  # docker-compose 1.x prints the short syntax
        port = dict(zip(("host_ip", "published", "target"), port.split("/")[0].split(":")))
    assert (port["host_ip"], str(port["published"]), str(port["target"])) == ("127.0.0.1", "8080", "8080")
    assert resolved["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis", "rasa", "actions"):
        assert list(services[name]["networks"]) == ["backend"], name


def _nginx() -> str | None:
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return shutil.which("nginx", path=search)


def _nginx_has_upstream_resolve(nginx: str) -> bool:
    """`server ... resolve` in upstreams is open source since nginx 1.27.3."""
    result = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", result.stderr)
    return bool(match) and tuple(map(int, match.groups())) >= (1, 27, 3)


@pytest.mark.skipif(_nginx() is None, reason="nginx not installed (apt-get install nginx)")
def test_compose_proxy_configuration_parses(tmp_path: Path) -> None:
    """nginx -t on deploy/nginx/compose.conf inside the http block the nginx image provides.
    Debian 12's nginx (1.22) predates `resolve` and cannot resolve Docker's service names:
    with it, those two things are swapped for loopback addresses; everything else is as shipped."""
    nginx = _nginx()
    assert nginx is not None
    text = (NGINX_DIR / "compose.conf").read_text(encoding="utf-8")
    assert text.count(" resolve;") == 4
    if not _nginx_has_upstream_resolve(nginx):
        text = text.replace(" resolve;", ";")
        text = re.sub(r"server (rasa|web|telegram):", "server 127.0.0.1:", text)
    (tmp_path / "safeshare").symlink_to(NGINX_DIR, target_is_directory=True)
    (tmp_path / "default.conf").write_text(text, encoding="utf-8")
    temp = "".join(
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\nhttp {{ {temp}\n include default.conf; }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            f"{tmp_path}/",
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
