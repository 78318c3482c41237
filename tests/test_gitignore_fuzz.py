"""Random .gitignore files and trees: discovery must list exactly what git lists (slow)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from parlint.config import build_config
from parlint.runner import discover

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

NAMES = ["a", "b", "ab", "ba", "c"]
FILES = ["a.py", "b.py", "ab.py", "x_a.py"]
PIECES = ["a", "b", "*", "?", "**", "[ab]", "[!a]", ".py", "_", "x"]

paths = st.lists(
    st.tuples(st.lists(st.sampled_from(NAMES), max_size=3), st.sampled_from(FILES)).map(
        lambda t: "/".join([*t[0], t[1]])
    ),
    min_size=1,
    max_size=12,
    unique=True,
)
pattern = st.tuples(
    st.booleans(),  # negated
    st.booleans(),  # leading slash
    st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join), min_size=1, max_size=3),
    st.booleans(),  # trailing slash
).map(lambda t: ("!" if t[0] else "") + ("/" if t[1] else "") + "/".join(t[2]) + ("/" if t[3] else ""))
ignore_files = st.dictionaries(st.sampled_from(["", "a", "a/b"]), st.lists(pattern, max_size=5), max_size=2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths, ignore_files)
@example(files=["a/b/a.py"], ignores={"a": ["a", "***/b"]})  # "***/" is "**/" to git
def test_discovery_lists_what_git_lists(files: list[str], ignores: dict[str, list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in files:
            target = root / name
            if any(p.is_file() for p in [*target.parents][: len(Path(name).parts) - 1]):
                continue  # a file where a directory is needed
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.write_text("")
        for directory, lines in ignores.items():
            folder = root / directory
            if folder.exists() and not folder.is_dir():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".gitignore").write_text("".join(line + "\n" for line in lines))
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        listed = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard", "-z"],
            cwd=root, check=True, capture_output=True, text=True,
        ).stdout.split("\0")
        by_git = sorted(p for p in listed if p.endswith(".py"))
        config = build_config({"exclude": ("no-such-name",)}, root=root)
        assert discover(["."], config, cwd=root) == by_git, ignores
