"""Writing output files safely: check targets first, write atomically, never half a file.

Every command that writes a file goes through this module (docs/output.md):

* :func:`check_writable` validates a target *before any work* — its directory
  exists and accepts new files, the target is not a directory, device, FIFO or
  ``/proc`` entry, and an existing file is writable. A symlink is followed (the
  file it points to is what gets replaced); a dangling one is written through
  when the directory it points into exists.
* :func:`write_text` / :func:`write_bytes` / :func:`writing` write to a
  temporary file in the target's own directory, ``fsync`` it, and ``os.replace``
  it over the target. A failure or a SIGKILL at any moment leaves either the
  old file, intact, or the complete new one — never a truncated file. An
  existing file keeps its permission bits; a new one gets ``0666 & ~umask``.
* :class:`Staged` writes several files all-or-nothing (``archcalc report``):
  every file is rendered into temporaries first; only when all are complete
  are they renamed into place, and if a rename fails the files already
  replaced are put back. Files it was not asked to write are never touched.

Problems are reported as :class:`archcalc.errors.OutputError` (exit status 2).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from archcalc.errors import OutputError

_TMP_PREFIX = ".archcalc-tmp-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


def resolve_target(path: str | os.PathLike) -> Path:
    """The file that writing ``path`` really replaces (symlinks followed, dangling ones too)."""
    p = Path(path)
    if p.is_symlink():
        return Path(os.path.realpath(p))
    return p


def check_writable(path: str | os.PathLike, what: str = "output") -> Path:
    """``path`` resolved, after checking that an atomic write to it can succeed; else :class:`OutputError`.

    Nothing is left behind: the probe file created in the directory is removed at once.
    """
    shown = os.fspath(path)
    if not shown:
        raise OutputError(f"cannot write {what}: empty file name")
    if "\0" in shown:
        raise OutputError(f"cannot write {what} to {shown!r}: the name contains a NUL byte")
    try:
        target = resolve_target(path)
        parent = target.parent
        if not parent.exists():
            raise OutputError(f"cannot write {what} to '{shown}': directory '{parent}' does not exist; "
                              "create it first or choose another path")
        if not parent.is_dir():
            raise OutputError(f"cannot write {what} to '{shown}': '{parent}' is not a directory")
        if target.exists():
            st = target.stat()
            if stat.S_ISDIR(st.st_mode):
                raise OutputError(f"cannot write {what} to '{shown}': it is a directory; give a file name")
            if not stat.S_ISREG(st.st_mode):
                raise OutputError(f"cannot write {what} to '{shown}': it is not a regular file "
                                  "(a device, FIFO or socket); give a file name")
            if not os.access(target, os.W_OK):
                raise OutputError(f"cannot write {what} to '{shown}': the file is read-only")
        elif target.is_symlink():  # a symlink loop
            raise OutputError(f"cannot write {what} to '{shown}': too many levels of symbolic links")
        if str(target.resolve()).startswith(("/proc/", "/sys/")):
            raise OutputError(f"cannot write {what} to '{shown}': /proc and /sys are not places for files")
        fd, probe = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OutputError:
        raise
    except (OSError, ValueError, RuntimeError) as e:
        reason = _reason(e) if isinstance(e, OSError) else str(e)
        raise OutputError(f"cannot write {what} to '{shown}': {reason}") from None
    return target


def check_directory(path: str | os.PathLike, what: str = "output") -> Path:
    """A directory files can be created in: ``path`` itself, or its parent if ``path`` does not exist yet."""
    p = Path(path)
    shown = os.fspath(path)
    if not shown:
        raise OutputError(f"cannot write {what}: empty directory name")
    if p.exists() and not p.is_dir():
        raise OutputError(f"cannot write {what} into '{shown}': it is not a directory")
    where = p if p.is_dir() else p.parent
    if not where.is_dir():
        raise OutputError(f"cannot write {what} into '{shown}': directory '{where}' does not exist")
    try:
        check_writable(where / ".archcalc-probe", what)
    except OutputError as e:
        reason = e.message.split("': ", 1)[-1]
        raise OutputError(f"cannot write {what} into '{shown}': {reason}") from None
    return p


@contextlib.contextmanager
def writing(path: str | os.PathLike, what: str = "output") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends normally it replaces ``path``.

    For writers that insist on a file name (``matplotlib``'s ``savefig``). On an
    exception the temporary is removed and ``path`` is untouched.
    """
    target = check_writable(path, what)
    tmp = _temp_for(target, what)
    try:
        yield tmp
        _commit(tmp, target, what, os.fspath(path))
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes(path: str | os.PathLike, data: bytes, what: str = "output") -> Path:
    """Write ``data`` to ``path`` atomically; return the path written."""
    with writing(path, what) as tmp:
        _fill(tmp, data, what, os.fspath(path))
    return Path(path)


def write_text(path: str | os.PathLike, text: str, what: str = "output", encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; return the path written."""
    return write_bytes(path, text.encode(encoding), what)


def _temp_for(target: Path, what: str) -> Path:
    suffix = target.suffix  # keeps savefig's format detection and editors' highlighting right
    try:
        fd, name = tempfile.mkstemp(prefix=_TMP_PREFIX + target.stem + "-", suffix=suffix, dir=target.parent)
    except OSError as e:
        raise OutputError(f"cannot write {what} to '{target}': {_reason(e)}") from None
    os.close(fd)
    return Path(name)


def _fill(tmp: Path, data: bytes, what: str, shown: str) -> None:
    try:
        with open(tmp, "wb") as f:
            f.write(data)
    except OSError as e:
        raise OutputError(f"cannot write {what} to '{shown}': {_reason(e)}") from None


def _commit(tmp: Path, target: Path, what: str, shown: str) -> None:
    """fsync ``tmp``, give it the target's permissions, rename it over ``target``, fsync the directory."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as e:
        raise OutputError(f"cannot write {what} to '{shown}': {_reason(e)}") from None
    _sync_dir(target.parent)


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Staged:
    """Several files written all-or-nothing: stage each, then :meth:`commit` renames them all.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with Staged(d) as s:
    ...     _ = s.write_text("a.md", "A")
    ...     _ = s.write_text("b.md", "B")
    >>> sorted(p.name for p in d.iterdir())
    ['a.md', 'b.md']
    """

    def __init__(self, outdir: str | os.PathLike, what: str = "report"):
        self.outdir = Path(outdir)
        self.what = what
        self._staged: dict[str, tuple[Path, Path]] = {}  # name -> (temporary, target)

    def __enter__(self) -> "Staged":
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    @property
    def names(self) -> list[str]:
        """The names staged so far, in order."""
        return list(self._staged)

    def target(self, name: str) -> Path:
        """Check the final path of ``name`` (before any work) and return it."""
        return check_writable(self.outdir / name, self.what)

    def path(self, name: str) -> Path:
        """A fresh temporary file for ``name`` (for writers that need a file name); staged for commit."""
        target = self.target(name)
        old = self._staged.pop(name, None)
        if old:
            with contextlib.suppress(OSError):
                old[0].unlink()
        tmp = _temp_for(target, self.what)
        self._staged[name] = (tmp, target)
        return tmp

    def write_bytes(self, name: str, data: bytes) -> Path:
        tmp = self.path(name)
        _fill(tmp, data, self.what, str(self.outdir / name))
        return self.outdir / name

    def write_text(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        return self.write_bytes(name, text.encode(encoding))

    def discard(self) -> None:
        """Remove every staged temporary; the targets are untouched."""
        for tmp, _ in self._staged.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._staged.clear()

    def commit(self) -> list[Path]:
        """Rename every staged file into place; on a failure put back the ones already replaced."""
        backups: list[tuple[Path, Path | None]] = []  # (target, hard link to its old content or None)
        try:
            for tmp, target in self._staged.values():
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.chmod(tmp, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask())
            for tmp, target in self._staged.values():
                backup = None
                if target.exists():
                    backup = Path(tempfile.mktemp(prefix=_TMP_PREFIX + "old-", dir=target.parent))
                    os.link(target, backup)
                backups.append((target, backup))
                os.replace(tmp, target)
        except OSError as e:
            for target, backup in reversed(backups):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, target)
                    else:
                        target.unlink()
            self.discard()
            raise OutputError(f"cannot write {self.what} into '{self.outdir}': {_reason(e)}; "
                              "nothing was changed") from None
        for _, backup in backups:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink()
        _sync_dir(self.outdir)
        written = [target for _, target in self._staged.values()]
        self._staged.clear()
        return written
