"""A plain Rasa assistant trained on SafeShare's data, to compare against in the same run.

"Plain" is what `rasa init` gives: its config.yml leaves the pipeline and the policies empty, so
Rasa trains with its default recipe (rasa/engine/recipes/config_files/default_config.yml, copied
here unchanged: WhitespaceTokenizer, count vectors, DIET with two transformer layers,
ResponseSelector, FallbackClassifier; MemoizationPolicy, RulePolicy, UnexpecTEDIntentPolicy and
TEDPolicy). It runs as `rasa run` without SafeShare's server extensions, with Rasa's own stores
(the in-memory tracker and lock stores) and its own templated responses, and the REST channel.

What it shares with SafeShare: the training data (data/nlu, data/rules), the domain (domain.yml,
with the responses of data/responses/ as domain files, their `language` slot conditions
included) and the action server. So a figure measured on both differs only by what SafeShare
adds or replaces: its pipeline and policy configuration, the redacting windowed tracker store,
the lock store, the NLG, the graph runner and the tracker copy.

The project is written under build/plain-rasa/ and trained there once per version of those
inputs. With the recipe's 100 epochs that takes hours on 2 cores: DIET with Rasa's default
featurizers makes 151,449 character n-gram features of this data (whitespace tokens, so a Chinese
sentence is one token) and took ~130 s per epoch on the AMD EPYC machine. `--epochs N` trains
DIET, ResponseSelector, UnexpecTED and TED for N epochs instead (recorded with the model and in
every result): the same architecture and sizes, so the same work per message served, but a less
well trained model; the cost figures are comparable, its accuracy is not (bench/accuracy.py
compares accuracy with the full recipe).

Usage:
  python bench/plain_rasa.py [--epochs N] [--force]   build and train (if the inputs changed)
Used by bench/load.py and bench/long_conversation.py (set-up `plain`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import benchlib

ROOT = benchlib.ROOT
PROJECT = ROOT / "build" / "plain-rasa"
MODEL = PROJECT / "models" / "plain.tar.gz"
FINGERPRINT = PROJECT / "models" / "plain.fingerprint"
ENDPOINTS = PROJECT / "endpoints.yml"
CREDENTIALS = PROJECT / "credentials.yml"


def default_config() -> Path:
    import rasa

    return Path(rasa.__file__).parent / "engine" / "recipes" / "config_files" / "default_config.yml"


def _inputs() -> list[Path]:
    files = [default_config(), ROOT / "domain.yml"]
    for folder in ("data/nlu", "data/rules", "data/responses"):
        files += sorted((ROOT / folder).rglob("*.yml"))
    return files


def fingerprint(epochs: int | None) -> str:
    digest = hashlib.sha256(f"epochs={epochs}".encode())
    for path in _inputs():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(epochs: int | None = None) -> None:
    """Write the project: config, domain folder, data, endpoints and credentials."""
    if PROJECT.exists():
        for name in ("config.yml", "domain", "data"):
            target = PROJECT / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    (PROJECT / "models").mkdir(parents=True, exist_ok=True)
    if epochs is None:
        shutil.copyfile(default_config(), PROJECT / "config.yml")
    else:
        import yaml

        config = yaml.safe_load(default_config().read_text(encoding="utf-8"))
        for component in config["pipeline"] + config["policies"]:
            if "epochs" in component:
                component["epochs"] = epochs
        (PROJECT / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    domain = PROJECT / "domain"
    domain.mkdir()
    shutil.copyfile(ROOT / "domain.yml", domain / "domain.yml")
    for path in sorted((ROOT / "data" / "responses").glob("*.yml")):
        shutil.copyfile(path, domain / f"responses_{path.name}")
    shutil.copytree(ROOT / "data" / "nlu", PROJECT / "data" / "nlu")
    shutil.copytree(ROOT / "data" / "rules", PROJECT / "data" / "rules")
    # Rasa's own stores (in memory) and NLG: only the action server is SafeShare's.
    ENDPOINTS.write_text("action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n", encoding="utf-8")
    CREDENTIALS.write_text("rest:\n", encoding="utf-8")


def epochs_trained() -> int | None:
    """The epochs the current plain model was trained with (None: the recipe's own)."""
    return json.loads(FINGERPRINT.read_text()).get("epochs") if FINGERPRINT.exists() else None


def describe() -> str:
    epochs = epochs_trained()
    return "the recipe's epochs" if epochs is None else f"{epochs} epochs instead of the recipe's 100"


def ensure_trained(epochs: int | None = None, force: bool = False, timeout: float = 14400) -> dict:
    """Train the plain assistant unless a model of the same inputs exists; what it cost."""
    expected = fingerprint(epochs)
    if not force and MODEL.exists() and FINGERPRINT.exists():
        if json.loads(FINGERPRINT.read_text()).get("fingerprint") == expected:
            return {"trained": False, "model": str(MODEL.relative_to(ROOT)), "epochs": epochs}
    build(epochs)
    print(
        f"training the plain Rasa assistant (Rasa's default recipe, {epochs or 'its'} epochs)...", flush=True
    )
    result = benchlib.run_timed(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain",
            "--data",
            "data",
            "--out",
            "models",
            "--fixed-model-name",
            "plain",
        ],
        cwd=PROJECT,
        env=benchlib.quiet_env({"RASA_CACHE_DIRECTORY": str(PROJECT / ".rasa-cache")}),
        log=PROJECT / "train.log",
        timeout=timeout,
    )
    if result.get("returncode") != 0 or not MODEL.exists():
        raise SystemExit(f"plain Rasa training failed: see {PROJECT / 'train.log'}")
    FINGERPRINT.write_text(json.dumps({"fingerprint": expected, "epochs": epochs, "training": result}))
    return {"trained": True, "model": str(MODEL.relative_to(ROOT)), "epochs": epochs, **result}


def rasa_argv(port: int) -> list[str]:
    """`rasa run` as installed, none of SafeShare's extensions (safeshare/rasa_ext/server.py)."""
    return [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(MODEL),
        "--endpoints",
        str(ENDPOINTS),
        "--credentials",
        str(CREDENTIALS),
        # Rasa's HTTP API, so that readiness is checked as for SafeShare's (a parse answers).
        "--enable-api",
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="train even if the inputs are unchanged")
    parser.add_argument("--epochs", type=int, default=None, help="epochs instead of the recipe's 100")
    args = parser.parse_args()
    benchlib.exit_on_sigterm()
    started = time.monotonic()
    result = ensure_trained(args.epochs, args.force)
    print(json.dumps(result, indent=2), f"\n{time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
