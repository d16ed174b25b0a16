"""The scaled set-up on one machine, without Docker: several Rasa replicas, the action server, the
web app and nginx on loopback, sharing PostgreSQL (tracker store and inquiries) and Redis (lock
store).

It is docker-compose.yml's topology where no Docker engine runs, and what the deployment tests
drive: the same code, endpoints.yml and credentials.yml, the same nginx routing
(deploy/nginx/http_common.conf, public_locations.conf, internal_locations.conf); only the
environment and the upstream addresses differ. Processes start through safeshare/launcher.py.

Usage:
  python scripts/scaled_run.py [--replicas 2] [--port 8080] [--internal-port 8081]
                               [--database-url URL] [--redis-url URL] [--workdir DIR]
  make scaled

Defaults: PostgreSQL postgresql+psycopg2://postgres@127.0.0.1:5432/safeshare_scaled (created if
missing; migrations applied), Redis redis://127.0.0.1:6379/0, Debian's nginx (`apt-get install
nginx`) run in the foreground with a generated configuration under the work folder (not the
system service), listening on 127.0.0.1 only. Ctrl-C stops everything and prints how many REST
requests each replica served.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from safeshare import launcher
from safeshare.settings import PROJECT_ROOT, get_settings

ROOT = PROJECT_ROOT

NGINX_SNIPPETS = ROOT / "deploy" / "nginx"
DEFAULT_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/safeshare_scaled"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REST_PATH = "/webhooks/rest/webhook"
_LOG_LINE = re.compile(
    r':(?P<listener>\d+) \[[^\]]*\] "(?P<method>\S+) (?P<uri>\S+)" (?P<status>\d{3}) '
    r"upstream=(?P<upstream>\S+(?:, \S+)*) "
)


def find_nginx() -> str:
    """Debian installs nginx in /usr/sbin, which is not on an ordinary user's PATH."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which("nginx", path=search)
    if not found:
        raise FileNotFoundError(
            "nginx is not installed: sudo apt-get install -y nginx (or: sudo make system-deps)"
        )
    return found


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist (the compose file's postgres
    service does this with POSTGRES_DB)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ).first()
            if not exists:
                quoted = parsed.database.replace('"', '""')
                conn.execute(sa.text(f'CREATE DATABASE "{quoted}"'))
    finally:
        admin.dispose()


def _port_of(address: str) -> int | None:
    tail = address.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


class ScaledRun:
    """Start, watch and stop the scaled topology; also usable as a context manager (tests)."""

    def __init__(
        self,
        database_url: str,
        redis_url: str,
        workdir: Path,
        replicas: int = 2,
        public_port: int = 0,
        internal_port: int = 0,
        model: Path = launcher.MODEL,
        web: bool = True,
    ) -> None:
        if replicas < 1:
            raise ValueError("at least one Rasa replica")
        self.database_url = database_url
        self.redis_url = redis_url
        self.workdir = workdir.resolve()
        self.logs = self.workdir / "logs"
        self.model = model
        self.rasa_ports = [launcher.free_port() for _ in range(replicas)]
        self.ports = launcher.Ports(
            rasa=self.rasa_ports[0], actions=launcher.free_port(), web=launcher.free_port()
        )
        self.public_port = public_port or launcher.free_port()
        self.internal_port = internal_port or launcher.free_port()
        self.with_web = web
        settings = get_settings()
        self.rasa_token = settings.rasa_token
        # Every process gets the same secrets and stores: that is what makes them one deployment.
        self.env = launcher.stack_env(
            self.ports,
            {
                "DATABASE_URL": database_url,
                "TRACKER_DB_URL": database_url,
                "REDIS_URL": redis_url,
                "RASA_URL": self.internal_url,
                "RASA_PUBLIC_URL": self.public_url,
                "SAFESHARE_PUBLIC_URL": self.public_url,
                "SAFESHARE_VAR_DIR": str(self.workdir / "var"),
                "SAFESHARE_SECRET_KEY": settings.secret_key,
                "RASA_TOKEN": settings.rasa_token,
                "SAFESHARE_TRUSTED_PROXIES": "1",  # the web app sits behind nginx
            },
        )
        self.stack = launcher.Stack(self.ports, self.env)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def public_url(self) -> str:
        """The proxy's public listener: widget Socket.IO (sticky) and the web app."""
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def internal_url(self) -> str:
        """The proxy's internal listener: REST channel and Rasa HTTP API, any replica."""
        return f"http://127.0.0.1:{self.internal_port}"

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def access_log(self) -> Path:
        return self.logs / "nginx-access.log"

    # -- nginx -------------------------------------------------------------------------------
    def nginx_config(self) -> str:
        """deploy/nginx/compose.conf with loopback upstreams instead of Docker service names."""
        conf = self.workdir / "nginx"
        rasa = "\n".join(f"        server 127.0.0.1:{port};" for port in self.rasa_ports)
        temp = "\n".join(
            f"    {kind}_temp_path {conf / 'tmp' / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return f"""# Generated by scripts/scaled_run.py; the routing is deploy/nginx/*.conf.
worker_processes 1;
daemon off;
pid {conf / "nginx.pid"};
events {{
    worker_connections 1024;
}}
http {{
    include safeshare/http_common.conf;
{temp}
    # Keep request and response bodies in memory: the temp folders are never written, so the
    # work folder may sit anywhere (nginx workers started by root run as nobody).
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    error_log {self.logs / "nginx-error.log"} warn;

    upstream rasa_socketio {{
        zone rasa_socketio 64k;
        hash $remote_addr consistent;
{rasa}
    }}
    upstream rasa_http {{
        zone rasa_http 64k;
        least_conn;
{rasa}
        keepalive 16;
    }}
    upstream safeshare_web {{
        zone safeshare_web 64k;
        server 127.0.0.1:{self.ports.web};
        keepalive 8;
    }}
    upstream safeshare_telegram {{
        zone safeshare_telegram 64k;
        server 127.0.0.1:9 down;  # no relay in the scaled run (webhook mode only)
    }}

    server {{
        listen 127.0.0.1:{self.public_port};
        access_log {self.access_log} safeshare;
        include safeshare/public_locations.conf;
    }}
    server {{
        listen 127.0.0.1:{self.internal_port};
        access_log {self.access_log} safeshare;
        include safeshare/internal_locations.conf;
    }}
}}
"""

    def _write_nginx_config(self) -> list[str]:
        conf = self.workdir / "nginx"
        (conf / "tmp").mkdir(parents=True, exist_ok=True)
        link = conf / "safeshare"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(NGINX_SNIPPETS, target_is_directory=True)
        (conf / "nginx.conf").write_text(self.nginx_config(), encoding="utf-8")
        argv = [
            find_nginx(),
            "-p",
            f"{conf}/",
            "-c",
            str(conf / "nginx.conf"),
            "-e",
            str(self.logs / "nginx-error.log"),
        ]
        check = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected the generated configuration:\n{check.stderr}")
        return argv

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 300) -> ScaledRun:
        """Start everything, replicas in parallel; return when every part answers."""
        if not self.model.exists():
            raise FileNotFoundError(f"no trained model at {self.model}: run `make train`")
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        ensure_database(self.database_url)
        from safeshare.db.migrate import upgrade

        upgrade(self.database_url)  # the compose file's `migrate` service
        nginx_argv = self._write_nginx_config()
        try:
            actions = self.stack.start(
                "actions", launcher.actions_argv(self.ports), self.logs / "actions.log"
            )
            replicas = {
                f"rasa-{index}": self.stack.start(
                    f"rasa-{index}",
                    launcher.rasa_argv(
                        launcher.Ports(rasa=port, actions=self.ports.actions, web=self.ports.web),
                        self.rasa_token,
                        self.model,
                    ),
                    self.logs / f"rasa-{index}.log",
                )
                for index, port in enumerate(self.rasa_ports, start=1)
            }
            web = None
            if self.with_web:
                web = self.stack.start("web", launcher.web_argv(self.ports), self.logs / "web.log")
            nginx = self.stack.start("nginx", nginx_argv, self.logs / "nginx.out")
            launcher.wait_http(f"{self.public_url}/nginx-health", timeout=30, process=nginx)
            launcher.wait_http(
                f"http://127.0.0.1:{self.ports.actions}/health", timeout=timeout, process=actions
            )
            if web is not None:
                launcher.wait_http(f"http://127.0.0.1:{self.ports.web}/healthz", timeout=timeout, process=web)
            for (name, process), url in zip(replicas.items(), self.replica_urls, strict=True):
                try:
                    launcher.wait_rasa_ready(url, timeout=timeout, process=process)
                except (RuntimeError, TimeoutError) as error:
                    log = self.logs / f"{name}.log"
                    raise RuntimeError(f"{name}: {error}; see {log}") from error
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.stack.stop()

    def __enter__(self) -> ScaledRun:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def exited(self) -> list[str]:
        processes = self.stack.processes.items()
        return [name for name, process in processes if process.poll() is not None]

    # -- evidence ----------------------------------------------------------------------------
    def requests_per_replica(self, path: str = REST_PATH) -> Counter[int]:
        """Successful requests for `path` per Rasa replica port, from nginx's access log (the
        replica that answered: after a retry $upstream_addr lists every replica tried)."""
        counts: Counter[int] = Counter()
        if not self.access_log.exists():
            return counts
        for line in self.access_log.read_text(encoding="utf-8").splitlines():
            match = _LOG_LINE.search(line)
            if not match or match["uri"] != path or match["status"] != "200":
                continue
            port = _port_of(match["upstream"].split(", ")[-1])
            if port is not None:
                counts[port] += 1
        return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/scaled_run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="public listener (0: any free)")
    parser.add_argument(
        "--internal-port",
        type=int,
        default=8081,
        help="internal listener: REST + Rasa API (0: any free)",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--workdir", type=Path, default=get_settings().var_dir / "scaled")
    args = parser.parse_args(argv)

    run = ScaledRun(
        args.database_url,
        args.redis_url,
        args.workdir,
        replicas=args.replicas,
        public_port=args.port,
        internal_port=args.internal_port,
    )
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(
        f"starting {args.replicas} Rasa replicas, the action server and nginx (about a minute)...",
        flush=True,
    )
    run.start()
    print(
        "\nSafeShare HK, scaled, on loopback:\n"
        f"  Public (widget, /demo, /console) : {run.public_url}\n"
        f"  Internal (REST + Rasa API)       : {run.internal_url}\n"
        f"  Rasa replicas                    : {', '.join(run.replica_urls)}\n"
        f"  Try: curl -s {run.internal_url}{REST_PATH} "
        '-d \'{"sender":"me","message":"what is a deepfake?"}\'\n'
        f"  Logs                             : {run.logs}\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        while not stopping:
            dead = run.exited()
            if dead:
                print(f"{', '.join(dead)} exited; see {run.logs}", flush=True)
                break
            time.sleep(1)
    finally:
        counts = run.requests_per_replica()
        print(
            "\nstopping... REST requests per replica: "
            + (", ".join(f"{port}: {n}" for port, n in sorted(counts.items())) or "none"),
            flush=True,
        )
        run.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
