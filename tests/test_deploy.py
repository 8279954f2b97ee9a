"""The deployment examples in deploy/ name commands, options and settings that exist: each
systemd unit's ExecStart and each Procfile line parse with summitbot's own parser, and
every variable of the example environment is one the app reads."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest

from slackbot.cli import build_parser

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
CONFIG = Path(__file__).resolve().parent.parent / "slackbot" / "config.py"


def summitbot_args(command_line: str) -> list[str]:
    words = shlex.split(command_line.replace("$PORT", "5000"))
    assert Path(words[0]).name == "summitbot", command_line
    return words[1:]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name)
    return parser


@pytest.mark.parametrize(
    ("name", "command"),
    [("summitbot-serve.service", "serve"), ("summitbot-worker.service", "worker")],
)
def test_each_systemd_unit_runs_a_command_that_exists(name: str, command: str) -> None:
    service = unit(name)["Service"]
    args = build_parser().parse_args(summitbot_args(service["ExecStart"]))
    assert args.command == command
    assert service["EnvironmentFile"] == "/etc/summitbot/summitbot.env"
    assert service["KillSignal"] == "SIGTERM"


def test_the_serve_unit_answers_only_and_the_worker_unit_does_the_scheduled_work() -> None:
    serve = build_parser().parse_args(
        summitbot_args(unit("summitbot-serve.service")["Service"]["ExecStart"])
    )
    assert serve.no_worker and serve.processes >= 2


def test_every_procfile_line_runs_a_command_that_exists() -> None:
    kinds = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        kind, _, command = line.partition(":")
        kinds[kind] = build_parser().parse_args(summitbot_args(command.strip())).command
    assert kinds == {"web": "serve", "worker": "worker"}


def test_the_example_environment_names_only_settings_the_app_reads() -> None:
    read = set(re.findall(r'get\("([A-Z_]+)"\)', CONFIG.read_text()))
    example = DEPLOY / "summitbot.env.example"
    named = [
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert named and set(named) <= read, set(named) - read


def test_the_env_example_lists_every_setting_the_app_reads() -> None:
    read = set(re.findall(r'get\("([A-Z_]+)"\)', CONFIG.read_text()))
    example = (DEPLOY.parent / ".env.example").read_text()
    listed = set(re.findall(r"^#? *([A-Z_]+)=", example, re.M))
    assert read <= listed, read - listed
