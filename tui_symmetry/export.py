"""The run document: built from a Trainer, written to disk atomically.

:func:`run_document` builds the export format of docs/contracts.md ("Export"); it is
used by ``tui-symmetry train --export FILE`` and by the app's export action.  A reader
(another program, a replay script, a lecturer's notebook) must never see a truncated
file, even if the process is killed mid-write or the disk fills up: the document goes
to a temporary file in the target's directory, is flushed to disk, and only then
renamed over the target in one step.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import HISTORY_FIELDS, Trainer, json_float

EXPORT_FORMAT = "tui-symmetry-run"
EXPORT_FORMAT_VERSION = 1
"""Raised only when a reader of the old format would misread the new one."""

# How many fresh temp names to try before giving up: a clash needs 64 random bits to
# collide, so more than one retry means something odd is going on in that directory.
_TEMP_ATTEMPTS = 4


def run_document(trainer: Trainer) -> dict[str, Any]:
    """The run as an export document: plain JSON-ready data (no NaN, no numpy).

    ``config`` is what the run started with and ``config_changes`` (present only when
    there were any) the live edits after that, each stamped with the step it applied
    before: together with ``initial_params`` and the training data they let another
    implementation replay a deterministic run to the same ``params``.
    """
    history = trainer.history.arrays()
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_FORMAT_VERSION,
        "step": trainer.step_count,
        "config": trainer.start_config.to_dict(),
        "data": {
            "X_train": trainer.data.X_train.tolist(),
            "y_train": trainer.data.y_train[:, 0].tolist(),
            "X_test": trainer.data.X_test.tolist(),
            "y_test": trainer.data.y_test[:, 0].tolist(),
        },
        "initial_params": trainer.initial_params.to_lists(),
        "params": trainer.params.to_lists(),
        "history": {
            name: history[name].tolist() if name == "step"
            else [json_float(value) for value in history[name].tolist()]
            for name in HISTORY_FIELDS
        },
        "diverged": trainer.diverged,
        "summary": _final_summary(trainer),
    }
    if trainer.config_changes:
        document["config_changes"] = list(trainer.config_changes)
    return document


def _final_summary(trainer: Trainer) -> dict[str, Any]:
    """What `train --json` reports of the final state (the honest numbers included),
    without the settings (``config`` above has them) and the speed (not a property of
    the run: two exports of one run must be byte-identical)."""
    summary = trainer.snapshot().summary()  # the saddle read at this very step
    del summary["config"], summary["steps_per_s"]
    return summary


def dumps_document(document: dict[str, Any]) -> str:
    """The exact text ``write_json_atomic`` writes: compact, key order kept, strict JSON.

    ``allow_nan=False`` because NaN and Infinity are not JSON: other languages' parsers
    reject them.  The core already turns non-finite numbers into ``null``.
    """
    return json.dumps(document, sort_keys=False, allow_nan=False, separators=(",", ":")) + "\n"


def write_json_atomic(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    """Write ``document`` as JSON to ``path`` so that the file is either complete or untouched.

    The text goes to a hidden temp file in the same directory (a rename is only atomic
    within one file system), is fsync'ed, then ``os.replace``'d over ``path``.  A new
    file gets the usual permissions (0666 minus the umask); an existing file keeps its
    mode.  On any I/O failure the temp file is removed, an existing ``path`` is left
    as it was, and OSError is raised.

    The document is serialized before the disk is touched, so a document that is not
    valid JSON (NaN, a numpy array: a caller's bug) raises ValueError or TypeError
    without creating any file.
    """
    write_text_atomic(path, dumps_document(document))


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that the file is either complete or untouched.

    The one atomic writer: exports (:func:`write_json_atomic`) and the app's saved
    configs and command lines use it.  Same guarantees and errors as
    :func:`write_json_atomic`.
    """
    data = text.encode("utf-8")
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    fd, temp = _create_temp(directory, os.path.basename(target))
    try:
        try:
            _copy_mode_of_existing(target, fd)
            view = memoryview(data)
            while view:
                # os.write may write less than asked (signals, pipes); loop until done.
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        # BaseException too: a Ctrl-C mid-write must not leave a stray temp file behind.
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def _create_temp(directory: str, name: str) -> tuple[int, str]:
    """Open a new hidden temp file next to the target; returns (fd, path).

    os.open with mode 0o666 lets the kernel apply the umask, unlike tempfile.mkstemp,
    whose 0600 would make every export private to its owner.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)

    def attempt() -> tuple[int, str]:
        temp = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
        return os.open(temp, flags, 0o666), temp

    for _ in range(_TEMP_ATTEMPTS - 1):
        with contextlib.suppress(FileExistsError):
            return attempt()
    return attempt()


def _copy_mode_of_existing(target: str, fd: int) -> None:
    """Give the temp file the mode of the file it replaces, if there is one."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return  # no existing file (or unreadable metadata): keep the umask default
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _fsync_directory(directory: str) -> None:
    """Persist the rename itself; best effort (not possible on every OS / file system)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def default_export_name(config: Config, step: int) -> str:
    """A file name that says what the run was, e.g. ``tui-symmetry-xor-h8-step1200.json``."""
    return f"tui-symmetry-{config.dataset}-h{config.hidden}-step{step}.json"
