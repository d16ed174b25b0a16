"""The launcher (safeshare/launcher.py) takes its ports from the settings."""

from __future__ import annotations

import dataclasses

from safeshare import launcher
from safeshare.settings import load_settings


def test_ports_come_from_the_settings() -> None:
    settings = load_settings()
    ports = launcher.Ports.from_settings(settings)
    assert ports.web == settings.web_port
    assert settings.rasa_url.endswith(f":{ports.rasa}")
    assert f":{ports.actions}/" in settings.action_endpoint_url
    moved = dataclasses.replace(
        settings, rasa_url="http://127.0.0.1:6005", action_endpoint_url="http://h:6055/webhook", web_port=6000
    )
    assert launcher.Ports.from_settings(moved) == launcher.Ports(rasa=6005, actions=6055, web=6000)
    https = dataclasses.replace(settings, rasa_url="https://rasa.example.org")
    assert launcher.Ports.from_settings(https).rasa == 443
