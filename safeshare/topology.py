"""Several Rasa processes behind nginx on one machine, with the action server and the web app.

Two set-ups use it:

- `make run` (`python -m safeshare run`), by default: two Rasa processes on the embedded stores
  (SQLite files under var/) and a private Redis that the run starts for itself (a password, no
  files, loopback only) for the conversation locks and the widget's pushes. One Rasa process uses
  one core; two use both on a 2-core machine (docs/benchmarks.md, section 6, has what that gives).
- `make scaled` (scripts/scaled_run.py): docker-compose.yml's topology where no Docker engine runs,
  on PostgreSQL and a shared Redis, and what the deployment tests drive.

Both use the same code, endpoints.yml and credentials.yml and the same nginx routing
(deploy/nginx/http_common.conf, public_locations.conf, internal_locations.conf); only the
environment and the upstream addresses differ. Processes start through safeshare/launcher.py.

nginx's public listener serves the web app and the widget's Socket.IO connection (sticky: every
request of a Socket.IO session reaches the process that holds it); its internal listener serves
the REST channel and Rasa's HTTP API (any process). nginx is Debian's (`apt-get install nginx`),
run in the foreground with a generated configuration under the work folder (not the system
service), listening on 127.0.0.1 (under `make run` the public listener on SAFESHARE_WEB_HOST, as
the web app did).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

from safeshare import launcher
from safeshare.settings import PROJECT_ROOT, Settings, get_settings

NGINX_SNIPPETS = PROJECT_ROOT / "deploy" / "nginx"
REST_PATH = "/webhooks/rest/webhook"
_LOG_LINE = re.compile(
    r':(?P<listener>\d+) \[[^\]]*\] "(?P<method>\S+) (?P<uri>\S+)" (?P<status>\d{3}) '
    r"upstream=(?P<upstream>\S+(?:, \S+)*) "
)


def _find(program: str, package: str) -> str:
    """Debian installs nginx in /usr/sbin, which is not on an ordinary user's PATH."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])
    found = shutil.which(program, path=search)
    if not found:
        raise FileNotFoundError(
            f"{program} is not installed: sudo apt-get install -y {package} (or: sudo make system-deps)"
        )
    return found


def find_nginx() -> str:
    return _find("nginx", "nginx")


def find_redis_server() -> str:
    return _find("redis-server", "redis-server")


def why_not_replicated(redis_url: str) -> str | None:
    """None if several Rasa processes can run here, else why not (what is missing)."""
    try:
        find_nginx()
        if not redis_url:
            find_redis_server()
    except FileNotFoundError as error:
        return str(error)
    return None


class PrivateRedis:
    """A Redis for one run's conversation locks and Socket.IO pushes: loopback only, a random
    password, nothing written to disk (the locks live for seconds; a restart loses nothing)."""

    def __init__(self, workdir: Path) -> None:
        self.port = launcher.free_port()
        self.password = secrets.token_urlsafe(24)
        self.folder = workdir / "redis"

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        """redis-server with a configuration file readable by this user only (a password on the
        command line would show in `ps`)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(
                f"bind 127.0.0.1\nport {self.port}\nrequirepass {self.password}\n"
                'save ""\nappendonly no\nprotected-mode yes\ndaemonize no\n'
                f'dir "{self.folder}"\nloglevel warning\n'
            )
        return [find_redis_server(), str(conf)]

    def wait(self, process: subprocess.Popen, timeout: float = 30) -> None:
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {process.returncode}")
                try:
                    if client.ping():
                        return
                except redis.exceptions.RedisError:
                    time.sleep(0.1)
        finally:
            client.close()
        raise TimeoutError(f"redis-server not ready after {timeout:.0f}s")


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


def embedded_run(settings: Settings, logs: Path) -> ReplicatedRun:
    """`make run`'s processes behind nginx, on the settings' stores and ports: the web app's port
    (SAFESHARE_WEB_PORT, on SAFESHARE_WEB_HOST) becomes nginx's public listener, RASA_URL's port its
    internal one, and a private Redis is started unless REDIS_URL names one. Every process is on
    this machine, so the conversation locks are lock files (SAFESHARE_LOCK_DIR, by default
    var/run/locks); Redis relays the widget's pushes between the processes."""
    run = ReplicatedRun(
        settings.database_url,
        settings.redis_url or None,
        settings.var_dir / "run",
        replicas=settings.rasa_processes,
        public_port=settings.web_port,
        internal_port=launcher.Ports.from_settings(settings).rasa,
        tracker_db_url=settings.tracker_db_url,
        var_dir=settings.var_dir,
        logs=logs,
        public_host=settings.web_host,
        lock_dir=settings.lock_dir or settings.var_dir / "run" / "locks",
    )
    # Public addresses the operator set (a TLS proxy in front) stay theirs.
    for name in ("SAFESHARE_PUBLIC_URL", "RASA_PUBLIC_URL"):
        if os.environ.get(name):
            run.env[name] = os.environ[name]
    return run


class ReplicatedRun:
    """Start, watch and stop several Rasa processes behind nginx with the action server and the
    web app; also usable as a context manager (tests).

    `redis_url` None: a private Redis is started with the rest (`PrivateRedis`). `var_dir` and
    `logs` default to folders of `workdir` (nginx's and Redis's configuration go there too).
    `lock_dir`: the conversation locks in lock files there (every process on this machine), not
    in Redis."""

    def __init__(
        self,
        database_url: str,
        redis_url: str | None,
        workdir: Path,
        replicas: int = 2,
        public_port: int = 0,
        internal_port: int = 0,
        model: Path = launcher.MODEL,
        web: bool = True,
        tracker_db_url: str | None = None,
        var_dir: Path | None = None,
        logs: Path | None = None,
        public_host: str = "127.0.0.1",
        rasa_token: str | None = None,
        secret_key: str | None = None,
        lock_dir: Path | None = None,
    ) -> None:
        if replicas < 1:
            raise ValueError("at least one Rasa replica")
        self.workdir = workdir.resolve()
        self.private_redis = None if redis_url else PrivateRedis(self.workdir)
        self.database_url = database_url
        self.tracker_db_url = tracker_db_url or database_url
        self.redis_url = redis_url or self.private_redis.url  # type: ignore[union-attr]
        self.logs = (logs or self.workdir / "logs").resolve()
        self.var_dir = (var_dir or self.workdir / "var").resolve()
        self.model = model
        self.rasa_ports = [launcher.free_port() for _ in range(replicas)]
        self.ports = launcher.Ports(
            rasa=self.rasa_ports[0], actions=launcher.free_port(), web=launcher.free_port()
        )
        self.public_host = public_host
        self.public_port = public_port or launcher.free_port()
        self.internal_port = internal_port or launcher.free_port()
        self.with_web = web
        if rasa_token is None or secret_key is None:
            settings = get_settings()
            rasa_token = rasa_token or settings.rasa_token
            secret_key = secret_key or settings.secret_key
        self.rasa_token = rasa_token
        # Every process gets the same secrets and stores: that is what makes them one deployment.
        self.env = launcher.stack_env(
            self.ports,
            {
                "DATABASE_URL": self.database_url,
                "TRACKER_DB_URL": self.tracker_db_url,
                "REDIS_URL": self.redis_url,
                "RASA_URL": self.internal_url,
                "RASA_PUBLIC_URL": self.public_url,
                "SAFESHARE_PUBLIC_URL": self.public_url,
                "SAFESHARE_VAR_DIR": str(self.var_dir),
                "SAFESHARE_SECRET_KEY": secret_key,
                "RASA_TOKEN": rasa_token,
                "SAFESHARE_TRUSTED_PROXIES": "1",  # the web app sits behind nginx
                "SAFESHARE_WEB_HOST": "127.0.0.1",
            },
        )
        self.lock_dir = lock_dir.resolve() if lock_dir else None
        if self.lock_dir:  # processes on one machine: lock files, Redis only for the widget's pushes
            self.env["SAFESHARE_LOCK_DIR"] = str(self.lock_dir)
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
        return f"""# Generated by safeshare/topology.py; the routing is deploy/nginx/*.conf.
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
        hash $socketio_affinity consistent;
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
        listen {self.public_host}:{self.public_port};
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
    def start(self, timeout: float = 300) -> ReplicatedRun:
        """Start everything, replicas in parallel; return when every part answers."""
        if not self.model.exists():
            raise FileNotFoundError(f"no trained model at {self.model}: run `make train`")
        self.logs.mkdir(parents=True, exist_ok=True)
        self.var_dir.mkdir(parents=True, exist_ok=True)
        ensure_database(self.database_url)
        from safeshare.db.migrate import upgrade

        upgrade(self.database_url)  # the compose file's `migrate` service
        nginx_argv = self._write_nginx_config()
        try:
            if self.private_redis is not None:
                redis = self.stack.start("redis", self.private_redis.argv(), self.logs / "redis.log")
                self.private_redis.wait(redis)
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

    def __enter__(self) -> ReplicatedRun:
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
