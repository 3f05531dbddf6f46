"""The package's metadata: an SPDX licence with its file, and dependency ranges that stop
below the next major version of every library whose internals the app reads."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
CAPPED = ("textual", "textual-plotext", "plotext", "textual-serve")
"""The libraries whose private names the app uses (listed in pyproject.toml)."""


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins() -> dict[str, str]:
    """``name → version`` of constraints.txt."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][^\s#]*)", line.strip())
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def _requirements() -> dict[str, str]:
    """``name → version specifier`` of the package's own dependencies."""
    found = {}
    for requirement in _pyproject()["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", requirement)
        assert match, requirement
        found[match[1].lower()] = match[2].replace(" ", "")
    return found


def test_the_licence_is_an_spdx_expression_with_its_file():
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


@pytest.mark.parametrize("name", CAPPED)
def test_a_library_whose_internals_are_used_is_capped_below_its_next_major(name: str):
    pinned = _pins()[name]
    next_major = int(pinned.split(".")[0]) + 1
    specifiers = _requirements()[name].split(",")
    assert f"<{next_major}" in specifiers, (name, pinned, specifiers)
    lower = [s for s in specifiers if s.startswith(">=")]
    assert lower and int(lower[0][2:].split(".")[0]) == next_major - 1  # same major


def test_the_setup_installs_with_the_pinned_uv_and_upgrades_no_pip():
    # A fresh clone's setup (CI's too) spends its time downloading: pip fetches only
    # uv, pinned, and uv installs the rest; upgrading pip first cost a download and an
    # install of its own (Makefile, the measured times).
    commands = subprocess.run(["make", "-n", "-B", ".venv/.installed"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.splitlines()
    assert "uv" in _pins()
    assert any(c.endswith("-m pip install --quiet --no-compile -c constraints.txt uv")
               for c in commands), commands
    assert any("-m uv pip install" in c and c.endswith("-c constraints.txt -e '.[test]'")
               for c in commands), commands
    assert not any("--upgrade pip" in c for c in commands), commands
