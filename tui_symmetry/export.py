"""The run document: built from a Trainer, written to disk atomically.

:func:`run_document` builds the export format of docs/contracts.md ("Export"); it is
used by ``tui-symmetry train --export FILE`` and by the app's export action.  A reader
(another program, a replay script, a lecturer's notebook) must never see a truncated
file, even if the process is killed mid-write or the disk fills up: the document goes
to a temporary file in the target's directory, is flushed to disk, and only then
renamed over the target in one step.

The writers are also the one place that decides where a write may go
(:func:`write_target`): a symlink is followed, so the file it leads to is replaced and
the link stays a link; anything that is not a regular file (a device, a FIFO, a socket,
a directory) is refused before a byte is written, since renaming over it would destroy
it.  Every failure is a :class:`CannotWrite` whose text is one human line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.data import CSV, Dataset, keep_dataset, shape_of
from tui_symmetry.core.history import HISTORY_FIELDS
from tui_symmetry.core.snapshot import json_float
from tui_symmetry.core.trainer import Trainer

EXPORT_FORMAT = "tui-symmetry-run"
EXPORT_FORMAT_VERSION = 1
"""Raised only when a reader of the old format would misread the new one."""

# How many fresh temp names to try before giving up: a clash needs 64 random bits to
# collide, so more than one retry means something odd is going on in that directory.
_TEMP_ATTEMPTS = 4
# How many numbered names (NAME-2, NAME-3, ...) write_new_file tries before it gives up.
_NEW_NAME_ATTEMPTS = 1000


class CannotWrite(OSError):
    """A file cannot be written: ``str()`` is one line, ``cannot write PATH: why``.

    ``path`` is the path as the caller gave it, ``reason`` the human why (which names
    the directory where that matters), ``errno`` the OS error's number when there was
    one (``errno.EEXIST``: :func:`write_text_atomic` was told not to replace a file).
    """

    def __init__(self, path: str | os.PathLike[str], reason: str,
                 code: int | None = None) -> None:
        super().__init__(code, reason)
        self.path = os.fspath(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


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
            "y_train": trainer.data.y_train.ravel().tolist(),
            "X_test": trainer.data.X_test.tolist(),
            "y_test": trainer.data.y_test.ravel().tolist(),
        },
        **_data_source(trainer),
        "initial_params": trainer.model.param_lists(trainer.initial_params),
        "params": trainer.model.param_lists(trainer.params),
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
    if trainer.start is not None:
        document["start"] = dict(trainer.start)
    return document


def _data_source(trainer: Trainer) -> dict[str, Any]:
    """``{"data_source": {...}}`` for a table: where its rows came from (the shipped
    name, or the CSV file's path and sha256), its names and task, and the scaling that
    made ``data`` of its rows, X = (rows − mean) / scale; for the teacher dataset its
    network (in the standardized targets' units); nothing for a toy."""
    config, data = trainer.start_config, trainer.data
    if data.teacher is not None:
        return {"data_source": {"kind": "teacher", "units": config.teacher_units,
                                "task": "regression", "teacher": data.teacher.to_lists()}}
    if not config.is_table:
        return {}
    shape = config.shape
    where = ({"kind": "csv", "path": config.data, "sha256": config.data_sha256}
             if config.dataset == CSV else {"kind": "shipped", "name": config.dataset})
    return {"data_source": {
        **where,
        "features": list(shape.features),
        "classes": list(shape.classes),
        "task": shape.task,
        "image": None if shape.image is None else list(shape.image),
        "mean": None if data.mean is None else data.mean.tolist(),
        "scale": None if data.scale is None else data.scale.tolist(),
    }}


def keep_replay_data(document: dict[str, Any], config: Config) -> None:
    """Keep the rows an export of a CSV run holds as the data of ``config`` (its
    settings), so the run replays exactly with the file gone (core/data.py
    ``keep_dataset``).  ValueError when they are not rows of the shapes the source says.
    """
    source, data = document.get("data_source"), document.get("data")
    if not (config.dataset == CSV and isinstance(source, dict) and isinstance(data, dict)):
        return
    shape = shape_of(len(source["features"]), source["task"], tuple(source["classes"]),
                     tuple(source["features"]))
    arrays = [np.array(data[name], dtype=np.float64).reshape(-1, shape.inputs)
              if name.startswith("X") else np.array(data[name])
              for name in ("X_train", "y_train", "X_test", "y_test")]
    for i in (1, 3):
        arrays[i] = (arrays[i].astype(np.int64) if shape.loss == "softmax"
                     else arrays[i].astype(np.float64).reshape(-1, 1))
    mean, scale = (np.array(source[name], dtype=np.float64) for name in ("mean", "scale"))
    keep_dataset(config, shape, Dataset(*arrays, mean, scale))


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

    The text goes to a hidden temp file in the target's directory (a rename is only
    atomic within one file system), is fsync'ed, then ``os.replace``'d over the target:
    ``path``, or the file a symlink at ``path`` leads to (:func:`write_target`).  A new
    file gets the usual permissions (0666 minus the umask); an existing file keeps its
    mode.  A target that is not a regular file is refused before anything is written.
    On any I/O failure the temp file is removed, an existing file is left as it was,
    and :class:`CannotWrite` (an OSError, one human line) is raised.

    The document is serialized before the disk is touched, so a document that is not
    valid JSON (NaN, a numpy array: a caller's bug) raises ValueError or TypeError
    without creating any file.
    """
    write_text_atomic(path, dumps_document(document))


def write_text_atomic(path: str | os.PathLike[str], text: str, *,
                      replace: bool = True) -> str:
    """Write ``text`` (UTF-8) to ``path`` so that the file is either complete or untouched.

    The one atomic writer: exports (:func:`write_json_atomic`) and the app's saved
    configs and screenshots use it.  ``path`` goes through :func:`write_target` first:
    a symlink is written through (the temp file and the rename happen beside the file
    it leads to), anything but a regular file is refused.  With ``replace=False`` an
    existing file is never replaced, not even one that appears while writing (the new
    file is linked in, which fails if the name is taken): CannotWrite with errno EEXIST.
    Returns the path of the file written (symlinks followed).  Same guarantees and
    errors as :func:`write_json_atomic`.
    """
    data = text.encode("utf-8")
    target, directory, fd, temp = _temp_beside(path)
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
        _publish(temp, target, replace)
    except BaseException as exc:
        # BaseException too: a Ctrl-C mid-write must not leave a stray temp file behind.
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError) and not isinstance(exc, CannotWrite):
            raise _cannot(path, exc, directory) from exc
        raise
    _fsync_directory(directory)
    return target


def _publish(temp: str, target: str, replace: bool) -> None:
    """Give the complete temp file its name: renamed over the target, or linked to a
    name that must be free (``replace=False``: a hard link fails if the name exists)."""
    if replace:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)
    except FileExistsError:
        raise CannotWrite(target, "a file of that name exists", errno.EEXIST) from None
    except OSError as exc:
        # File systems without hard links (some network and FAT ones): check, then
        # rename; only a writer racing for the very same name could slip in between.
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise CannotWrite(target, "a file of that name exists", errno.EEXIST) from None
        os.replace(temp, target)
        return
    os.unlink(temp)


def write_target(path: str | os.PathLike[str]) -> str:
    """Where a write to ``path`` lands: ``path`` with every symlink followed.

    Raises CannotWrite, naming what is there, when that is not a regular file or a free
    name: a directory, a device, a FIFO, a socket, a loop of symlinks.  It only looks
    (lstat), so it is safe to ask about anything, /dev/full included.
    """
    given = os.fspath(path)
    if not given:  # realpath('') is the working directory
        raise CannotWrite("''", "the file name is empty")
    target = os.path.realpath(given)
    if given.endswith(("/", os.sep)) and not os.path.isdir(target):
        # realpath drops the slash: `--export out/` would become a file named `out`.
        raise CannotWrite(given, "a name ending in a slash is a directory's, not a file's")
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        try:
            # /dev/stdout leads through /proc/self/fd/1 to a pipe, "pipe:[N]", which
            # realpath cannot name; stat follows such a link to what it is.
            mode = os.stat(given).st_mode
        except OSError:
            return target  # a new file; whether its directory exists shows when writing
    except OSError as exc:
        raise _cannot(given, exc, os.path.dirname(target)) from exc
    if stat.S_ISREG(mode):
        return target
    if stat.S_ISLNK(mode):  # realpath stops at a link it cannot resolve: a loop
        raise CannotWrite(given, "it is a loop of symbolic links", errno.ELOOP)
    raise CannotWrite(given, not_a_regular_file(given, mode))


def not_a_regular_file(path: str, mode: int) -> str:
    """Why ``path`` (whose file, symlinks followed, has ``st_mode`` mode) is refused:
    ``it is a FIFO (named pipe), not a regular file``, or through a symlink
    ``it leads to /dev/null, a character device, not a regular file``."""
    target = os.path.realpath(path)
    where = "it is" if target == os.path.abspath(path) else f"it leads to {target},"
    return f"{where} {file_kind(mode)}, not a regular file"


def check_writable(path: str | os.PathLike[str]) -> str:
    """Fail now, not after a long run: :func:`write_target`, then a temp file made and
    removed where the real one will go.  Returns the target; raises CannotWrite."""
    target, _, fd, temp = _temp_beside(path)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temp)
    return target


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: ``a FIFO (named pipe)``."""
    kinds = [(stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISLNK, "a symbolic link")]
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def os_error_reason(exc: OSError, directory: str | None = None) -> str:
    """An OSError in words, without its errno number: ``the disk is full``.

    ``directory`` is where the file was to go; reasons that are about it name it.
    """
    where = f" {directory}" if directory else ""
    reasons = {
        errno.EROFS: f"the directory{where} is read-only",
        errno.EACCES: f"no permission to write in{where or ' its directory'}",
        errno.EPERM: f"no permission to write in{where or ' its directory'}",
        errno.ENOSPC: "the disk is full",
        getattr(errno, "EDQUOT", -1): "the disk quota is used up",
        errno.EFBIG: "the file would grow past the largest size allowed",
        errno.ENOENT: f"the directory{where} does not exist",
        errno.ENOTDIR: f"a part of{where or ' the path'} is not a directory",
        errno.ENAMETOOLONG: "the name is too long",
        errno.ELOOP: "too many levels of symbolic links",
        errno.EISDIR: "it is a directory",
    }
    if exc.errno in reasons:
        return reasons[exc.errno]
    text = exc.strerror or (str(exc.args[-1]) if exc.args else type(exc).__name__)
    return text[:1].lower() + text[1:]


def _cannot(path: str | os.PathLike[str], exc: OSError, directory: str) -> CannotWrite:
    return CannotWrite(path, os_error_reason(exc, directory), exc.errno)


def write_new_file(directory: str | os.PathLike[str], stem: str, suffix: str,
                   text: str) -> tuple[Path, bool]:
    """Write ``text`` to ``directory/STEM SUFFIX`` without replacing any file there.

    Tries ``STEM.svg``, then ``STEM-2.svg``, ``STEM-3.svg``, ... and takes the first
    free name, skipping anything at a name (a FIFO or a symlink too: it is never
    followed nor opened).  A regular file that already holds exactly ``text`` is taken
    as it is: nothing new to keep.  Returns (the absolute path, whether it was written
    now); raises CannotWrite.
    """
    folder = Path(directory).resolve()
    data = text.encode("utf-8")
    for number in range(1, _NEW_NAME_ATTEMPTS + 1):
        path = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        if os.path.lexists(path):
            if _holds(path, data):
                return path, False
            continue
        try:
            write_text_atomic(path, text, replace=False)
        except CannotWrite as error:
            if error.errno != errno.EEXIST:
                raise
            # Taken meanwhile: by another save of the same text (two quick presses of
            # e, each in its own thread), which is this save; else by another file.
            if _holds(path, data):
                return path, False
            continue
        return path, True
    raise CannotWrite(folder / f"{stem}{suffix}",
                      f"{_NEW_NAME_ATTEMPTS} files of that name exist already")


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file with exactly ``data`` in it (never opens
    anything else: a FIFO would block)."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _temp_beside(path: str | os.PathLike[str]) -> tuple[str, str, int, str]:
    """:func:`write_target` of ``path``, its directory, and an open temp file made
    there: (target, directory, fd, temp path).  Raises CannotWrite."""
    target = write_target(path)
    directory = os.path.dirname(target)
    try:
        fd, temp = _create_temp(directory, os.path.basename(target))
    except OSError as exc:
        raise _cannot(path, exc, directory) from exc
    return target, directory, fd, temp


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
