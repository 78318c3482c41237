"""Build the public benchmark corpus: the pinned wheels of `bench/corpus.txt`, `.py` files only.

    python bench/build_corpus.py                      # into bench/.corpus/ (git-ignored)
    python bench/build_corpus.py --wheels /some/dir   # reuse wheels already downloaded there

Each pin is fetched with `pip download --no-deps --only-binary :all: --python-version 3.11`
into `bench/.downloads/` and its `.py` files (not `.dist-info/` or `.data/`) are extracted into
`bench/.corpus/<package>-<version>/`. Idempotent: a wheel already downloaded is not fetched
again, and a package already extracted from the same wheel is left alone (a marker under
`bench/.corpus/.built/` records which wheel it came from). Extraction goes to a temporary folder
that is renamed into place, so an interrupted run never leaves a half-extracted package behind.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MANIFEST = BENCH / "corpus.txt"
CORPUS = BENCH / ".corpus"
DOWNLOADS = BENCH / ".downloads"

# The 8-package slice of issue 8 (311 files, 108 k lines).
SLICE = ("aiohttp", "anyio", "asyncpg", "httpcore", "httpx", "starlette", "uvicorn", "websockets")


def read_manifest(path: Path = MANIFEST) -> list[tuple[str, str]]:
    """(package, version) pins, in manifest order; `#` comments and blank lines skipped."""
    pins = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        spec = raw.split("#", 1)[0].strip()
        if not spec:
            continue
        package, sep, version = spec.partition("==")
        if not sep or not package or not version:
            raise SystemExit(f"{path}: not an exact pin: {raw!r}")
        pins.append((package.strip(), version.strip()))
    return pins


def wheel_stem(package: str) -> str:
    """Wheel file names normalise runs of `-`, `_` and `.` in the project name to `_`."""
    return re.sub(r"[-_.]+", "_", package).lower()


def find_wheel(folder: Path, package: str, version: str) -> Path | None:
    if not folder.is_dir():
        return None
    prefix = f"{wheel_stem(package)}-{version}-"
    found = sorted(p for p in folder.iterdir() if p.name.lower().startswith(prefix.lower())
                   and p.suffix == ".whl")
    return found[0] if found else None


def download(package: str, version: str, dest: Path, wheels: Path | None) -> Path:
    wheel = find_wheel(dest, package, version)
    if wheel is not None:
        return wheel
    dest.mkdir(parents=True, exist_ok=True)
    local = find_wheel(wheels, package, version) if wheels is not None else None
    if local is not None:
        shutil.copy2(local, dest / local.name)
    else:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary", ":all:", "--python-version", "3.11", "-d", str(dest),
             f"{package}=={version}"],
            check=True,
        )
    wheel = find_wheel(dest, package, version)
    if wheel is None:
        raise SystemExit(f"pip download produced no wheel for {package}=={version}")
    return wheel


def is_source(name: str) -> bool:
    parts = name.split("/")
    return (
        name.endswith(".py")
        and not any(p.endswith(".dist-info") or p.endswith(".data") for p in parts[:-1])
    )


def extract(wheel: Path, dest: Path, marker: Path) -> int:
    """Extract the wheel's `.py` files into `dest`; returns how many. Skips when up to date."""
    if dest.is_dir() and marker.is_file() and marker.read_text().strip() == wheel.name:
        return sum(1 for _ in dest.rglob("*.py"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not is_source(name):
                continue
            target = (tmp / name).resolve()
            if tmp.resolve() not in target.parents:  # never write outside the folder
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
            count += 1
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(wheel.name + "\n")
    return count


def build(manifest: Path, corpus: Path, downloads: Path, wheels: Path | None) -> int:
    total = 0
    for package, version in read_manifest(manifest):
        wheel = download(package, version, downloads, wheels)
        name = f"{package}-{version}"
        count = extract(wheel, corpus / name, corpus / ".built" / name)
        total += count
        print(f"{package}=={version} -> {corpus / name} ({count} files)")
    print(f"{total} files")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--downloads", type=Path, default=DOWNLOADS)
    parser.add_argument(
        "--wheels", type=Path, default=None,
        help="a folder of wheels already downloaded: copied instead of fetched when present",
    )
    args = parser.parse_args(argv)
    build(args.manifest, args.corpus, args.downloads, args.wheels)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
