"""File discovery (.gitignore rules, excludes, explicit files) and the file runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parlint.config import Config, build_config
from parlint.runner import (
    POOL_THRESHOLD,
    LintSettings,
    PathNotFound,
    compile_pattern,
    discover,
    is_ignored,
    lint_file,
    lint_files,
)
from parlint.types import FileResult


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def ignored(pattern: str, path: str, is_dir: bool = False) -> bool:
    compiled = compile_pattern(pattern, "/repo")
    assert compiled is not None
    return is_ignored([compiled], f"/repo/{path}", is_dir)


# --- .gitignore pattern semantics (git's documented rules) ---------------------------------

GITIGNORE_CASES = [
    # a name without a slash matches at any depth
    ("*.log", "a.log", False, True),
    ("*.log", "deep/down/a.log", False, True),
    ("build", "build", True, True),
    ("build", "src/build", True, True),
    ("foo.py", "foo.pyc", False, False),
    # a leading or middle slash anchors to the .gitignore's directory
    ("/build", "build", True, True),
    ("/build", "src/build", True, False),
    ("doc/frotz", "doc/frotz", True, True),
    ("doc/frotz", "a/doc/frotz", True, False),
    # a trailing slash matches directories only
    ("logs/", "logs", True, True),
    ("logs/", "logs", False, False),
    ("logs/", "a/logs", True, True),
    # `*` and `?` do not cross slashes; `**` does
    ("src/*.py", "src/a.py", False, True),
    ("src/*.py", "src/sub/a.py", False, False),
    ("src/?.py", "src/a.py", False, True),
    ("src/?.py", "src/ab.py", False, False),
    ("**/gen", "gen", True, True),
    ("**/gen", "x/y/gen", True, True),
    ("gen/**", "gen/a/b.py", False, True),
    ("gen/**", "gen", True, False),
    ("a/**/b", "a/b", True, True),
    ("a/**/b", "a/x/y/b", True, True),
    ("a/**/b", "ab", True, False),
    # character classes, negated classes, escapes
    ("[abc].py", "b.py", False, True),
    ("[abc].py", "d.py", False, False),
    ("[!abc].py", "d.py", False, True),
    ("[!abc].py", "a.py", False, False),
    ("\\#kept.py", "#kept.py", False, True),
    ("\\!bang.py", "!bang.py", False, True),
    ("trailing.py   ", "trailing.py", False, True),
]


@pytest.mark.parametrize(("pattern", "path", "is_dir", "expected"), GITIGNORE_CASES)
def test_gitignore_pattern(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    assert ignored(pattern, path, is_dir) is expected


@pytest.mark.parametrize("line", ["", "   ", "# a comment", "!"])
def test_blank_lines_and_comments_are_not_patterns(line: str) -> None:
    assert compile_pattern(line, "/repo") is None


def test_negation_re_includes_and_the_last_match_wins() -> None:
    patterns = [compile_pattern(p, "/repo") for p in ("*.py", "!keep.py", "keep.py")]
    assert all(patterns)
    assert is_ignored(patterns[:2], "/repo/keep.py", False) is False  # type: ignore[arg-type]
    assert is_ignored(patterns[:2], "/repo/drop.py", False) is True  # type: ignore[arg-type]
    assert is_ignored(patterns, "/repo/keep.py", False) is True  # type: ignore[arg-type]


def test_pattern_outside_its_base_does_not_match() -> None:
    pattern = compile_pattern("*.py", "/repo/sub")
    assert pattern is not None
    assert not pattern.matches("/repo/a.py", False)
    assert pattern.matches("/repo/sub/a.py", False)


# --- discovery -----------------------------------------------------------------------------

CODE = "async def f():\n    await g()\n"


def config_at(root: Path, **values: object) -> Config:
    return build_config(values, root=root)


def test_discovery_finds_py_and_pyi_recursively_sorted(tmp_path: Path) -> None:
    tree(tmp_path, {"b.py": "", "a/z.pyi": "", "a/y.py": "", "a/notes.txt": "", "c.pyx": ""})
    assert discover(["."], config_at(tmp_path), cwd=tmp_path) == ["a/y.py", "a/z.pyi", "b.py"]


@pytest.mark.parametrize(
    "excluded",
    [".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__", ".tox", ".nox",
     "site-packages", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs", "pkg.egg-info",
     ".parlint_cache"],
)
def test_default_excludes_at_any_depth(tmp_path: Path, excluded: str) -> None:
    tree(tmp_path, {f"{excluded}/x.py": "", f"src/{excluded}/y.py": "", "src/ok.py": ""})
    assert discover(["."], config_at(tmp_path), cwd=tmp_path) == ["src/ok.py"]


def test_default_excludes_apply_outside_the_configuration_directory(tmp_path: Path) -> None:
    tree(tmp_path, {"project/pyproject.toml": "", "other/.venv/x.py": "", "other/ok.py": ""})
    config = config_at(tmp_path / "project")
    assert discover(["../other"], config, cwd=tmp_path / "project") == ["../other/ok.py"]


def test_exclude_replaces_the_defaults(tmp_path: Path) -> None:
    tree(tmp_path, {"build/x.py": "", "gen/y.py": "", "ok.py": ""})
    config = config_at(tmp_path, exclude=("gen",))
    assert discover(["."], config, cwd=tmp_path) == ["build/x.py", "ok.py"]


def test_extend_exclude_adds_anchored_and_name_patterns(tmp_path: Path) -> None:
    tree(tmp_path, {"legacy/a.py": "", "src/legacy/b.py": "", "src/x_pb2.py": "", "ok.py": ""})
    config = config_at(tmp_path, **{"extend-exclude": ("/legacy", "*_pb2.py")})
    assert discover(["."], config, cwd=tmp_path) == ["ok.py", "src/legacy/b.py"]


def test_gitignore_nested_negation_dir_only_and_anchored(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".gitignore": "generated/\n/scratch.py\n*_tmp.py\n",
            "generated/a.py": "",
            "scratch.py": "",
            "pkg/scratch.py": "",  # /scratch.py is anchored to the top
            "pkg/x_tmp.py": "",
            "pkg/.gitignore": "!keep_tmp.py\nlocal.py\n",
            "pkg/keep_tmp.py": "",  # re-included by the nested file
            "pkg/local.py": "",
            "other/local.py": "",  # the nested file applies under pkg/ only
            "generated.py": "",  # `generated/` matches directories only
        },
    )
    assert discover(["."], config_at(tmp_path), cwd=tmp_path) == [
        "generated.py",
        "other/local.py",
        "pkg/keep_tmp.py",
        "pkg/scratch.py",
    ]


def test_no_respect_gitignore(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "gen/\n", "gen/a.py": "", "b.py": ""})
    config = config_at(tmp_path, **{"respect-gitignore": False})
    assert discover(["."], config, cwd=tmp_path) == ["b.py", "gen/a.py"]


def test_gitignore_of_a_parent_applies_inside_a_git_work_tree(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "*_gen.py\n", "src/a_gen.py": "", "src/b.py": ""})
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "src"
    assert discover(["."], config_at(sub), cwd=sub) == ["b.py"]


def test_git_info_exclude_is_respected(tmp_path: Path) -> None:
    tree(tmp_path, {".git/info/exclude": "private.py\n", "private.py": "", "b.py": ""})
    assert discover(["."], config_at(tmp_path), cwd=tmp_path) == ["b.py"]


def test_explicit_files_are_linted_even_when_excluded(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "gen/\n", "gen/a.py": "", "build/b.py": "", "script": ""})
    found = discover(["gen/a.py", "build/b.py", "script"], config_at(tmp_path), cwd=tmp_path)
    assert found == ["build/b.py", "gen/a.py", "script"]


def test_force_exclude_applies_excludes_to_explicit_files(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "gen/\n", "gen/a.py": "", "build/b.py": "", "ok.py": ""})
    config = config_at(tmp_path, **{"force-exclude": True})
    assert discover(["gen/a.py", "build/b.py", "ok.py"], config, cwd=tmp_path) == ["ok.py"]


def test_paths_are_deduplicated(tmp_path: Path) -> None:
    tree(tmp_path, {"a/x.py": "", "b.py": ""})
    found = discover([".", "a", "a/x.py", "./b.py", str(tmp_path / "b.py")], config_at(tmp_path), cwd=tmp_path)
    assert found == ["a/x.py", "b.py"]


def test_paths_are_shown_relative_to_the_working_directory(tmp_path: Path) -> None:
    tree(tmp_path, {"src/a.py": ""})
    sub = tmp_path / "src"
    assert discover([str(sub)], config_at(tmp_path), cwd=tmp_path) == ["src/a.py"]
    assert discover([".."], config_at(tmp_path), cwd=sub) == ["a.py"]  # not ../src/a.py
    assert discover(["../src"], config_at(tmp_path), cwd=sub) == ["a.py"]


def test_missing_path_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PathNotFound, match="nope.py: no such file or directory"):
        discover(["nope.py"], config_at(tmp_path), cwd=tmp_path)


def test_symlinked_directories_are_not_followed(tmp_path: Path) -> None:
    tree(tmp_path, {"a/x.py": ""})
    os.symlink(tmp_path / "a", tmp_path / "loop")
    assert discover(["."], config_at(tmp_path), cwd=tmp_path) == ["a/x.py"]


# --- linting -------------------------------------------------------------------------------


def test_unreadable_and_undecodable_files_are_par000_values(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"# -*- coding: utf-8 -*-\nasync def f():\n    x = '\xff'\n")
    settings = LintSettings(Config())
    result = lint_file(str(bad), settings)
    assert [f.code for f in result.findings] == ["PAR000"]
    assert "cannot decode" in result.findings[0].message
    missing = lint_file(str(tmp_path / "gone.py"), settings)
    assert [f.code for f in missing.findings] == ["PAR000"]
    assert "cannot read" in missing.findings[0].message


def test_par000_can_be_ignored(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("async def f(:\n    pass\n")
    assert [f.code for f in lint_file(str(bad), LintSettings(Config())).findings] == ["PAR000"]
    result = lint_file(str(bad), LintSettings(build_config({"ignore": ("PAR000",)})))
    assert result.findings == ()


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list:
    """The max_workers of every process pool the runner starts."""
    import parlint.runner as runner

    started: list = []

    class RecordingPool(runner.ProcessPoolExecutor):
        def __init__(self, *args: object, **kwargs: object) -> None:
            started.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "ProcessPoolExecutor", RecordingPool)
    return started


def test_pool_and_in_process_give_the_same_results(
    tmp_path: Path, fake_rules: None, pools: list
) -> None:
    files = []
    for i in range(POOL_THRESHOLD + 4):
        path = tmp_path / f"m{i:02}.py"
        path.write_text(f"async def f{i}():\n    await fetch_{i}()\n" if i % 3 else "async def f(:\n")
        files.append(str(path))
    settings = LintSettings(build_config({"select": ("ALL",)}))
    in_process = lint_files(files, settings, jobs=1)
    assert pools == []  # -j 1: in-process
    pooled = lint_files(files, settings, jobs=2)
    assert pools == [2]
    assert lint_files(files[: POOL_THRESHOLD - 1], settings, jobs=2) == in_process[: POOL_THRESHOLD - 1]
    assert pools == [2]  # a small batch stays in-process
    assert pooled == in_process
    assert [r.path for r in pooled] == files
    assert {f.code for r in pooled for f in r.findings} == {"PAR000", "PAR990"}


def test_a_few_large_files_go_to_the_pool_a_few_small_ones_stay_in_process(
    tmp_path: Path, fake_rules: None, pools: list
) -> None:
    import parlint.runner as runner

    settings = LintSettings(build_config({"select": ("ALL",)}))
    small, large = [], []
    filler = "# " + "x" * 78 + "\n"
    for i in range(3):
        body = f"async def f{i}():\n    await fetch_{i}()\n"
        (tmp_path / f"s{i}.py").write_text(body)
        small.append(str(tmp_path / f"s{i}.py"))
        (tmp_path / f"l{i}.py").write_text(body + filler * (runner.POOL_MIN_BYTES // 80 // 2))
        large.append(str(tmp_path / f"l{i}.py"))
    in_process = lint_files(small, settings, jobs=2)
    assert pools == []
    pooled = lint_files(large, settings, jobs=2)
    assert pools == [2]
    assert pooled == lint_files(large, settings, jobs=1)
    assert [f.code for r in in_process + pooled for f in r.findings].count("PAR990") == 6


class RecordingCache:
    def __init__(self) -> None:
        self.store: dict[tuple[str, str], FileResult] = {}
        self.gets = 0

    def get(self, path: str, content_hash: str) -> FileResult | None:
        self.gets += 1
        return self.store.get((path, content_hash))

    def put(self, path: str, content_hash: str, result: FileResult) -> None:
        self.store[(path, content_hash)] = result


def test_lint_file_is_the_cache_seam(tmp_path: Path, fake_rules: None) -> None:
    path = tmp_path / "a.py"
    path.write_text("async def f():\n    await fetch_a()\n")
    cache = RecordingCache()
    settings = LintSettings(build_config({"select": ("ALL",)}), cache=cache)
    first = lint_file(str(path), settings)
    assert len(cache.store) == 1 and first.findings
    (key,) = cache.store
    cache.store[key] = FileResult(str(path))  # a hit must be returned as is
    assert lint_file(str(path), settings) == FileResult(str(path))
    path.write_text("async def f():\n    await fetch_b()\n")  # new content: a miss
    assert lint_file(str(path), settings).findings[0].message == "await of fetch_b()"


# --- agreement with git itself -------------------------------------------------------------

GIT_TREE = {
    ".gitignore": (
        "# comment\n*_gen.py\n!keep_gen.py\n/top_only.py\nbuild/\ndocs/**/draft_*.py\n"
        "a/**/b/*.py\n[xy]_*.py\n!y_keep.py\ntmp?.py\nlogs\n\\#hash.py\ncache*/\n"
    ),
    "src/.gitignore": "local.py\n!/top_only.py\nsub/\n",
    "top_only.py": "",
    "src/top_only.py": "",
    "src/local.py": "",
    "other/local.py": "",
    "src/sub/x.py": "",
    "sub/x.py": "",
    "m_gen.py": "",
    "pkg/keep_gen.py": "",
    "pkg/z_gen.py": "",
    "build/b.py": "",
    "build.py": "",
    "docs/draft_a.py": "",
    "docs/v1/v2/draft_b.py": "",
    "docs/final.py": "",
    "a/b/c.py": "",
    "a/q/r/b/c.py": "",
    "a/b/d/c.py": "",
    "x_1.py": "",
    "y_keep.py": "",
    "z_1.py": "",
    "tmp1.py": "",
    "tmp12.py": "",
    "logs/l.py": "",
    "#hash.py": "",
    "plain.py": "",
    "allow/.gitignore": "*\n!*.py\n!*/\n",  # the allow-list idiom
    "allow/a.py": "",
    "allow/d/b.py": "",
    "cache_dir/.gitignore": "",
    ".gitignore_extra": "",
    "cachex/c.py": "",
    "deep/.gitignore": "/**/skip.py\nkeep/**\n!keep/this.py\n",
    "deep/skip.py": "",
    "deep/x/skip.py": "",
    "deep/keep/this.py": "",
    "deep/keep/that.py": "",
}


def test_gitignore_matching_agrees_with_git(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    tree(tmp_path, GIT_TREE)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=tmp_path, check=True, capture_output=True, text=True,
    ).stdout.split("\n")
    by_git = sorted(path.strip('"') for path in listed if path.endswith(".py"))
    ours = discover(["."], config_at(tmp_path, exclude=("unused-name",)), cwd=tmp_path)
    assert ours == by_git
