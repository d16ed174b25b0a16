"""The committed widget/dist/safeshare-widget.js is what widget/build.mjs builds from the sources
and the pinned socket.io-client, and every npm dependency is pinned exactly."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from safeshare.settings import PROJECT_ROOT

WIDGET = PROJECT_ROOT / "widget"


def test_npm_dependencies_are_pinned_exactly_and_locked() -> None:
    package = json.loads((WIDGET / "package.json").read_text())
    lock = json.loads((WIDGET / "package-lock.json").read_text())
    wanted = {**package["dependencies"], **package["devDependencies"]}
    assert wanted["socket.io-client"].startswith("4."), "Socket.IO protocol v5 / Engine.IO v4"
    for name, version in wanted.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_dist_is_up_to_date() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot rebuild the widget to compare")
    if not (WIDGET / "node_modules" / "socket.io-client").is_dir():
        pytest.skip("widget/node_modules is missing: run `npm ci --prefix widget`")
    result = subprocess.run(
        [node, "build.mjs", "--check"], cwd=WIDGET, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr or result.stdout
