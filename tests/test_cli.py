"""The ``nianbao`` command line: extract, check, and --help on every command."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from extractor.cli import main

GOLDENS = Path(__file__).resolve().parents[1] / "goldens"
GOLDEN_JSON = sorted(GOLDENS.glob("*.json"))


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click ≥ 8.2 keeps stderr apart by default


@pytest.mark.parametrize(
    "stem, status",
    [("000_5f327aea0ae552b3", "source_inconsistent"), ("002_d0194d03ec3ce05d", "verified")],
)
def test_extract_prints_one_json_result(stem, status):
    golden = json.loads((GOLDENS / f"{stem}.json").read_text(encoding="utf-8"))
    res = _runner().invoke(main, ["extract", str(GOLDENS / f"{stem}.txt")])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 1  # one result, one line
    data = json.loads(lines[0])
    assert data["id"] == golden["id"] == stem
    assert data["template"] == golden["template"]
    assert data["status"] == status
    assert "cells" in data and "checks" in data  # --full is the default


def test_extract_tables_only_keeps_the_golden_fields():
    stem = "002_d0194d03ec3ce05d"
    res = _runner().invoke(main, ["extract", "--tables-only", "--pretty", str(GOLDENS / f"{stem}.txt")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {"id", "source", "agency", "year", "template", "tables", "status"}


def test_extract_an_unusable_input_exits_1_with_a_reason(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    res = _runner().invoke(main, ["extract", str(bad)])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["status"] == "error"
    assert len(res.stderr.strip().splitlines()) == 1 and "empty.txt" in res.stderr


def test_check_passes_on_every_golden():
    assert len(GOLDEN_JSON) == 5
    res = _runner().invoke(main, ["check", *map(str, GOLDEN_JSON)])
    assert res.exit_code == 0, res.output
    assert "INVALID" not in res.output
    for path in GOLDEN_JSON:  # one summary line per file
        assert sum(1 for line in res.output.splitlines() if line.startswith(f"{path}: ") and "checks pass" in line) == 1


def test_check_refuses_a_golden_with_an_unknown_key(tmp_path):
    data = json.loads((GOLDENS / "002_d0194d03ec3ce05d.json").read_text(encoding="utf-8"))
    data["tables"]["applications"]["new_received"]["bogus_column"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = _runner().invoke(main, ["check", str(bad)])
    assert res.exit_code != 0
    invalid = [line for line in res.output.splitlines() if "INVALID" in line]
    assert invalid == [f"{bad}: INVALID: unknown key applications.new_received.bogus_column for template 2019"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*prefix, name)))
    return out


COMMANDS = [(), *_commands(main)]


def test_every_subsystem_command_is_registered():
    names = {c[0] for c in COMMANDS if c}
    assert {"extract", "check", "eval", "batch", "query", "config", "cache"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "nianbao")
def test_help_works(command):
    res = _runner().invoke(main, [*command, "--help"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Usage: ")
    assert (" ".join(("main", *command)) if command else "main") in res.output.splitlines()[0]
