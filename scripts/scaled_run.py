"""The scaled set-up on one machine, without Docker: several Rasa replicas, the action server, the
web app and nginx on loopback, sharing PostgreSQL (tracker store and inquiries) and Redis (lock
store). docker-compose.yml's topology where no Docker engine runs (safeshare/topology.py).

Usage:
  python scripts/scaled_run.py [--replicas 2] [--port 8080] [--internal-port 8081]
                               [--database-url URL] [--redis-url URL] [--workdir DIR]
  make scaled

Defaults: PostgreSQL postgresql+psycopg2://postgres@127.0.0.1:5432/safeshare_scaled (created if
missing; migrations applied), Redis redis://127.0.0.1:6379/0, Debian's nginx. Ctrl-C stops
everything and prints how many REST requests each replica served.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from safeshare.settings import get_settings  # noqa: E402
from safeshare.topology import REST_PATH, ReplicatedRun  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/safeshare_scaled"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


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

    run = ReplicatedRun(
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
