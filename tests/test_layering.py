"""``tui_symmetry.core`` is numpy only, free of every UI library and of the app.

The layering rule of docs/architecture.md.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tui_symmetry.core

CORE_DIR = Path(tui_symmetry.core.__file__).parent
FORBIDDEN = ("textual", "rich", "plotext", "textual_plotext", "tui_symmetry.app")


def _is_forbidden(module: str) -> bool:
    """True when ``module`` is one of FORBIDDEN or inside one of them."""
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def _imported_modules(path: Path) -> set[str]:
    """Every absolute module name an ``import`` or ``from ... import`` in ``path`` names.

    Relative imports are resolved against the core package; ``from pkg import name``
    also yields ``pkg.name`` (it may be a submodule).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = "tui_symmetry.core"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _core_files() -> list[Path]:
    """Every Python file of the core package."""
    return sorted(CORE_DIR.rglob("*.py"))


def test_core_package_has_the_expected_modules() -> None:
    names = {path.stem for path in _core_files()}
    assert {"config", "data", "init", "network", "regularize", "optim", "metrics",
            "trainer"} <= names


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: p.name)
def test_core_source_imports_no_ui(path: Path) -> None:
    offenders = sorted(m for m in _imported_modules(path) if _is_forbidden(m))
    assert offenders == [], f"{path.name} imports {offenders}"


def test_the_static_check_would_catch_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import numpy as np\n"
        "def f():\n"
        "    from rich.console import Console\n"
        "    import textual.app\n"
        "from tui_symmetry import app\n"
        "from ..app import widgets\n",
        encoding="utf-8",
    )
    offenders = {m for m in _imported_modules(sample) if _is_forbidden(m)}
    assert offenders >= {"rich.console", "textual.app", "tui_symmetry.app",
                         "tui_symmetry.app.widgets"}
    assert not _is_forbidden("numpy")
    assert not _is_forbidden("richer")


def test_importing_core_loads_no_ui_module() -> None:
    code = (
        "import json, sys\n"
        "import tui_symmetry.core\n"
        "import tui_symmetry.core.config, tui_symmetry.core.data, tui_symmetry.core.init\n"
        "import tui_symmetry.core.network, tui_symmetry.core.regularize\n"
        "import tui_symmetry.core.optim, tui_symmetry.core.metrics\n"
        "import tui_symmetry.core.trainer\n"
        "t = tui_symmetry.core.Trainer(tui_symmetry.core.Config(hidden=2, samples=20))\n"
        "import tui_symmetry.export\n"
        "t.step(3); t.snapshot(); tui_symmetry.export.run_document(t)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    loaded = json.loads(result.stdout)
    assert "tui_symmetry.core.trainer" in loaded
    assert "numpy" in loaded
    offenders = sorted(m for m in loaded if _is_forbidden(m))
    assert offenders == []


def test_the_command_line_loads_textual_only_when_the_app_starts() -> None:
    """run_app sets Textual's frame-timer rate (TEXTUAL_FPS) before importing the app;
    Textual reads it once, at import, so nothing before may import Textual."""
    code = (
        "import json, sys, os\n"
        "import tui_symmetry.cli, tui_symmetry.app\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "from tui_symmetry.app import UI_MAX_FPS\n"
        "os.environ.setdefault('TEXTUAL_FPS', str(UI_MAX_FPS))\n"
        "import textual.constants\n"
        "print(json.dumps([before, textual.constants.MAX_FPS, UI_MAX_FPS]))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "TEXTUAL_FPS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True, env=env)
    before, max_fps, wanted = json.loads(result.stdout)
    assert before == []
    assert max_fps == wanted


def test_the_app_never_loads_the_command_line() -> None:
    """The app (and its compare screen) reads compare's verdict and matching words from
    experiments: importing it loads no module of tui_symmetry.cli or its commands."""
    code = (
        "import json, sys\n"
        "import tui_symmetry.app.app, tui_symmetry.app.compare_screen\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    loaded = json.loads(result.stdout)
    command_line = ("tui_symmetry.cli", "tui_symmetry.compare", "tui_symmetry.sweep")
    assert sorted(m for m in loaded if m.split(".")[:2] in
                  [name.split(".") for name in command_line]) == []


APP_CLASS_LIMIT = 250
"""Lines of SymmetryApp's class (docstring and decorators included): the App is wiring;
decisions live in the RunController, pictures in the MainScreen."""


def test_the_app_class_stays_wiring() -> None:
    path = CORE_DIR.parent / "app" / "app.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    [app_class] = [node for node in tree.body
                   if isinstance(node, ast.ClassDef) and node.name == "SymmetryApp"]
    assert app_class.end_lineno is not None
    lines = app_class.end_lineno - app_class.lineno + 1
    assert lines < APP_CLASS_LIMIT, f"SymmetryApp is {lines} lines: move decisions out"
