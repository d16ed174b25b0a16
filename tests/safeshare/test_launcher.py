"""The launcher (safeshare/launcher.py) takes its ports from the settings."""

from __future__ import annotations

import dataclasses

import pytest

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


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-1"])
def test_any_generated_token_reaches_rasa_as_the_token(token: str) -> None:
    """Rasa's own argument parser reads the command the launcher builds: a token from
    `secrets.token_urlsafe` starts with "-" once in 64, and then it must still be the token (as a
    separate word Rasa would refuse to start, exit code 2)."""
    from rasa.__main__ import create_argument_parser

    argv = launcher.rasa_argv(launcher.Ports(rasa=5005, actions=5055, web=8000), token)
    assert argv[1:3] == ["-m", "safeshare.rasa_ext.server"]
    args = create_argument_parser().parse_args(argv[3:])
    assert args.auth_token == token
    assert (args.port, args.enable_api) == (5005, True)
