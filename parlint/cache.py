"""The result cache: a file's `FileResult`, keyed by everything that can change it.

An entry's key is a hash of the file's path and content hash (what the runner passes) and of the
run's settings: parlint's version and a fingerprint of its own source files (so that editing a
rule in a development install never serves stale results), libcst's version, the Python version,
and the resolved configuration with every flag that changes results (the runner's `key_parts`).

Entries live under `.parlint_cache/` at the project root (the configuration's directory), or
under `PARLINT_CACHE_DIR` when that is set. The directory carries a `.gitignore` (`*`) and a
`CACHEDIR.TAG`, so that git and backup tools leave it alone. One file per entry, written to a
temporary file and renamed into place: concurrent runs (and the pool's workers) never see a
half-written entry, and the last writer wins with an equal value. A corrupt, truncated or foreign
entry is a miss and is rewritten; a cache that cannot be written (read-only disk) turns itself
off. Nothing here ever raises into a run.

A result that used facts of other files of the project (`FileResult.dependencies`: path,
content hash and stat of each) is served only while they are unchanged: the stat index checks
their stats, the content-addressed entries their stats and then their content hashes; a file
that changed, vanished or appeared since makes the entry a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable

from parlint import __version__
from parlint.types import Dependency, FileResult

CACHE_DIR_NAME = ".parlint_cache"
ENV_VAR = "PARLINT_CACHE_DIR"
MAGIC = b"parlint-cache 1\n"
INDEX_MAGIC = b"parlint-index 1\n"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by parlint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def cache_directory(root: str | os.PathLike[str]) -> Path:
    """Where the cache lives: PARLINT_CACHE_DIR, else `.parlint_cache/` under `root`."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(os.path.abspath(configured))
    return Path(os.path.abspath(root)) / CACHE_DIR_NAME


def _libcst_version() -> str:
    try:
        from importlib.metadata import version

        return version("libcst")
    except Exception:  # noqa: BLE001 - an odd install: the key just gets less specific
        return "unknown"


def code_fingerprint() -> str:
    """parlint's own sources (path, size, mtime): a development edit invalidates the cache."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        rel = path.relative_to(package).as_posix()
        digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def settings_digest(key_parts: Iterable[str]) -> str:
    """One digest of the run's settings plus the versions of everything that computes results."""
    parts = (
        f"parlint={__version__}",
        f"code={code_fingerprint()}",
        f"libcst={_libcst_version()}",
        f"python={sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}."
        f"{sys.version_info[2]}",
        *key_parts,
    )
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


class Cache:
    """`get(path, content_hash)` / `put(path, content_hash, result)`, as the runner asks.

    Picklable (plain attributes): the runner hands it to its pool's workers, which read and
    write entries themselves.
    """

    def __init__(self, root: str | os.PathLike[str], key_parts: Iterable[str] = ()) -> None:
        self.directory = str(cache_directory(root))
        self.settings = settings_digest(key_parts)
        # Entries of other settings live in other folders: easy to prune, never consulted.
        self.folder = os.path.join(self.directory, f"v1-{self.settings}")
        self.enabled = True

    def _entry_key(self, path: str, content_hash: str) -> str:
        raw = f"{self.settings}\0{path}\0{content_hash}".encode("utf-8", "surrogatepass")
        return hashlib.blake2b(raw, digest_size=20).hexdigest()

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], key[2:])

    def get(self, path: str, content_hash: str) -> FileResult | None:
        """The cached result, or None for a miss (absent, corrupt or foreign entry)."""
        if not self.enabled:
            return None
        key = self._entry_key(path, content_hash)
        try:
            with open(self._entry_path(key), "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        if not data.startswith(MAGIC):
            return None
        try:
            stored = pickle.loads(data[len(MAGIC) :])
        except Exception:  # noqa: BLE001 - corrupt or from another parlint: a miss
            return None
        if (
            not isinstance(stored, tuple)
            or len(stored) != 3
            or stored[0] != key
            or stored[1] != path
            or not isinstance(stored[2], FileResult)
            or stored[2].path != path
        ):
            return None
        return current_dependencies(stored[2], by_content=True)

    def put(self, path: str, content_hash: str, result: FileResult) -> None:
        """Store a result (atomically). Results with internal errors are not cached."""
        if not self.enabled or result.tracebacks:
            return
        key = self._entry_key(path, content_hash)
        target = self._entry_path(key)
        try:
            payload = MAGIC + pickle.dumps((key, path, result), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an unpicklable value: just not cached
            return
        try:
            self._prepare(os.path.dirname(target))
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(target))
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                os.replace(tmp, target)
            except BaseException:
                _remove(tmp)
                raise
        except OSError:
            self.enabled = False  # read-only or full disk: run on without a cache

    def stat_index(self) -> StatIndex:
        """The stat index of this cache's settings, read now (the runner asks once a run)."""
        return StatIndex(self)

    def _prepare(self, entry_folder: str) -> None:
        if os.path.isdir(entry_folder):
            return
        os.makedirs(self.directory, exist_ok=True)
        for name, text in ((".gitignore", "# Created by parlint.\n*\n"),
                           ("CACHEDIR.TAG", CACHEDIR_TAG)):
            marker = os.path.join(self.directory, name)
            if not os.path.exists(marker):
                _write_atomically(marker, text.encode())
        os.makedirs(entry_folder, exist_ok=True)


class StatIndex:
    """One file per settings (`<folder>/index`): absolute path -> (stat, racy, result), so that
    a warm run reads one file instead of every source file and an entry for each.

    A result is served only when the file's stat (size, mtime_ns, ctime_ns, inode; any write
    changes the ctime) is the one taken before the file was read for that result, and that
    stat was not too recent to be trusted (`runner.RACY_NS`). Anything else is a miss: the file
    is read and hashed, and the content-addressed entries (`Cache.get`) answer. The index is
    written whole, atomically, at the end of a run; concurrent runs each write a consistent
    index (the last one wins; a lost entry is only a miss). A corrupt or foreign index is empty.
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.path = os.path.join(cache.folder, "index")
        self.entries: dict[str, tuple[Any, bool, FileResult]] = self._load()
        self.changed = False

    def _load(self) -> dict[str, tuple[Any, bool, FileResult]]:
        if not self.cache.enabled:
            return {}
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except OSError:
            return {}
        if not data.startswith(INDEX_MAGIC):
            return {}
        try:
            stored = pickle.loads(data[len(INDEX_MAGIC) :])
        except Exception:  # noqa: BLE001 - corrupt or from another parlint: empty
            return {}
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.cache.settings
                and isinstance(stored[1], dict)):
            return {}
        return stored[1]

    def lookup(self, path: str, stat: Any, build_fixes: bool = True) -> FileResult | None:
        """The indexed result of `path` when its current `stat` is the recorded one."""
        if stat is None:
            return None
        try:
            recorded, racy, result = self.entries[os.path.abspath(path)]
        except (KeyError, TypeError, ValueError):
            return None
        if racy or recorded != stat or not isinstance(result, FileResult) or result.path != path:
            return None
        if current_dependencies(result, by_content=False) is None:
            return None  # another file it used changed: the content-addressed entry decides
        if build_fixes and any(f.fix is not None and f.fix.deferred for f in result.findings):
            return None  # the run shows edits that were not built
        return result

    def record(self, path: str, stamp: Any, result: FileResult) -> None:
        if result.tracebacks:  # internal errors are not cached
            return
        self.entries[os.path.abspath(path)] = (stamp.stat, stamp.racy, result)
        self.changed = True

    def save(self) -> None:
        if not self.changed or not self.cache.enabled:
            return
        try:
            payload = INDEX_MAGIC + pickle.dumps(
                (self.cache.settings, self.entries), protocol=pickle.HIGHEST_PROTOCOL
            )
            self.cache._prepare(self.cache.folder)
            _write_atomically(self.path, payload)
        except Exception:  # noqa: BLE001 - unwritable or unpicklable: run on without it
            self.cache.enabled = False
        self.changed = False


def current_dependencies(result: FileResult, *, by_content: bool) -> FileResult | None:
    """`result` when every file it used facts of (`FileResult.dependencies`) is as it was, else
    None. A file whose stat is the recorded one, not taken too recently, is as it was; with
    `by_content`, so is a file whose content hash is the recorded one (the result then comes
    back with the new stats, so that the stat index trusts them next time)."""
    if not result.dependencies:
        return result
    from parlint.analysis.project import file_digest, is_racy, stat_of

    current = []
    for dependency in result.dependencies:
        stat = stat_of(dependency.path)
        if dependency.digest is None or stat is None:
            if dependency.digest is not None or stat is not None:
                return None  # it appeared or vanished
            current.append(dependency)
        elif stat == dependency.stat and not dependency.racy:
            current.append(dependency)
        elif by_content and file_digest(dependency.path) == dependency.digest:
            current.append(Dependency(dependency.path, dependency.digest, stat, is_racy(stat)))
        else:
            return None
    if current == list(result.dependencies):
        return result
    return dataclasses.replace(result, dependencies=tuple(current))


def _write_atomically(target: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the markers are for everyone to read
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
