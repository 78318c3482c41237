"""Security: parlint never runs the code it reads, never loads unsafe YAML, never touches the
network, and `fix` never writes outside the paths it was given.

The strongest checks run parlint in a real process under a Python audit hook (PEP 578) that
records, as JSON lines on an inherited file descriptor (so forked pool workers report too):
every socket, every subprocess, every import or exec of code from the analysed tree, and every
file opened for writing, renamed or removed.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import parlint
from cli_helpers import invoke

GOOD = (
    "async def load_dashboard(client: ShopClient):\n"
    "    user = await client.get_user()\n"
    "    orders = await client.get_orders()\n"
    "    return user, orders\n"
)

# Runs parlint's CLI in this process with an audit hook; argv: events-fd, tree root, CLI args.
AUDITED = textwrap.dedent(
    r"""
    import sys
    del sys.path[0]  # `python -c` puts the working directory (the analysed tree) first
    import json, os
    fd, root = int(sys.argv[1]), os.path.realpath(sys.argv[2])
    args = sys.argv[3:]

    def emit(kind, detail):
        os.write(fd, (json.dumps([kind, str(detail)]) + "\n").encode())

    def inside(path):
        if not path or str(path).startswith("<"):  # "<string>": dataclasses, namedtuple
            return False
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == root or real.startswith(root + os.sep)

    def hook(event, hook_args):
        if event.startswith("socket.") or event.startswith("urllib."):
            emit("network", event)
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"):
            emit("process", f"{event} {hook_args[:2]}")
        elif event == "import":
            filename = hook_args[1]
            if filename and inside(filename):
                emit("import", filename)
        elif event == "exec":
            filename = getattr(hook_args[0], "co_filename", "")
            if filename and inside(filename):
                emit("exec", filename)
        elif event == "open":
            path, mode, flags = hook_args
            if isinstance(path, int):
                return
            writes = (mode and any(c in mode for c in "wax+")) or (
                flags and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            )
            if writes:
                emit("write", os.path.realpath(os.fsdecode(path)))
        elif event in ("os.rename", "os.replace", "os.link", "os.symlink"):
            emit("write", os.path.realpath(os.fsdecode(hook_args[1])))
        elif event in ("os.remove", "os.unlink", "os.rmdir", "shutil.rmtree", "os.truncate",
                       "os.chmod", "os.chown", "os.utime"):
            if not isinstance(hook_args[0], int):
                emit("write", os.path.realpath(os.fsdecode(hook_args[0])))

    sys.addaudithook(hook)
    from parlint.cli import main
    code = main(args)
    emit("exit", code)
    os._exit(code)
    """
)


def run_audited(cwd: Path, root: Path, *args: str) -> tuple[int, dict[str, list[str]], str]:
    """Run `parlint ARGS` audited; return (exit code, events by kind, stderr)."""
    read_fd, write_fd = os.pipe()
    env = {k: v for k, v in os.environ.items() if k not in ("PARLINT_OUTPUT_FORMAT",)}
    env.pop("PARLINT_CACHE_DIR", None)
    # stdout/stderr go to files: the events pipe is read to its end first, and a child blocked
    # on a full stdout pipe (a large SARIF report) would never close it.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", AUDITED, str(write_fd), str(root), *args],
            cwd=cwd,
            pass_fds=(write_fd,),
            stdout=out,
            stderr=err,
            text=True,
            env=env,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as events_stream:
            lines = events_stream.read().splitlines()
        process.wait(timeout=300)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    events: dict[str, list[str]] = {}
    for line in lines:
        kind, detail = json.loads(line)
        events.setdefault(kind, []).append(detail)
    return process.returncode, events, stdout + stderr


# Code that announces itself if it is ever imported or run.
TRAP = textwrap.dedent(
    """\
    import os, sys
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RAN-" + __name__), "w").close()
    {tail}

    async def load_dashboard(client: ShopClient):
        user = await client.get_user()
        orders = await client.get_orders()
        return user, orders
    """
)


@pytest.fixture
def trapped(tmp_path: Path) -> Path:
    """A project whose every module (and modules shadowing what parlint imports) runs a trap."""
    project = tmp_path / "project"
    package = project / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(TRAP.format(tail="sys.exit(3)"))
    (package / "views.py").write_text(TRAP.format(tail="os._exit(7)"))
    (package / "__main__.py").write_text(TRAP.format(tail="raise SystemExit(5)"))
    (project / "conftest.py").write_text(TRAP.format(tail=""))
    (project / "setup.py").write_text(TRAP.format(tail=""))
    # Names parlint and its dependencies import: a `python -m parlint` run from this directory
    # would find these first on sys.path.
    for shadow in ("asyncio", "json", "click", "yaml", "libcst", "difflib", "tokenize", "tomllib"):
        (project / f"{shadow}.py").write_text(TRAP.format(tail="os._exit(9)"))
    return project


def ran(project: Path) -> list[str]:
    return sorted(p.name for p in project.rglob("RAN-*"))


# --- never imports or executes analysed code -------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_check_and_fix_never_import_or_run_the_code(trapped: Path, jobs: str) -> None:
    for command in (["check"], ["fix", "--unsafe-fixes"]):
        code, events, output = run_audited(
            trapped, trapped, *command, "--isolated", "--no-cache", "-j", jobs, "."
        )
        assert code in (0, 1), output
        assert ran(trapped) == []
        assert "import" not in events and "exec" not in events, events
        assert "process" not in events, events
    # And the fix did happen: the traps were read and rewritten, not run.
    assert "asyncio.gather(client.get_user(), client.get_orders())" in (
        trapped / "app" / "views.py"
    ).read_text()


@pytest.mark.parametrize("how", ["python -m parlint", "console script"])
def test_shadowing_modules_in_the_cwd_are_never_imported(trapped: Path, how: str) -> None:
    """`python -m` puts the working directory first on sys.path; parlint drops it (as pip
    does), so a project's `json.py` or `asyncio.py` is never imported by parlint itself."""
    if how == "console script":
        script = shutil.which("parlint")
        if script is None:
            pytest.skip("the parlint console script is not installed")
        command = [script]
    else:
        command = [sys.executable, "-m", "parlint"]
    result = subprocess.run(
        [*command, "check", "--isolated", "--no-cache", "-j", "1", "."],
        cwd=trapped, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert ran(trapped) == []


def test_flake8_plugin_does_not_run_the_code(trapped: Path) -> None:
    flake8 = shutil.which("flake8")
    if flake8 is None:
        pytest.skip("the flake8 console script is not installed")
    result = subprocess.run(  # not `python -m flake8`: that would import the cwd's shadows
        [flake8, "--select", "PAR", "-j", "1", "app"],
        cwd=trapped, capture_output=True, text=True, timeout=120,
    )
    assert "PAR101" in result.stdout, result.stdout + result.stderr
    assert ran(trapped) == []


# --- YAML only through safe_load ----------------------------------------------------------------


def test_python_object_yaml_config_is_rejected_cleanly(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "PWNED"
    (tmp_path / ".parlint.yaml").write_text(
        f'select: !!python/object/apply:os.system ["touch {marker}"]\n'
        "max-concurrency: !!python/object/new:builtins.int [3]\n"
    )
    (tmp_path / "app.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    for command in ("check", "fix", "config"):
        result = invoke(command, *(["app.py"] if command != "config" else []))
        assert result.exit_code == 2, (command, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and ".parlint.yaml" in lines[0], lines
        assert "Traceback" not in result.stderr
    assert not marker.exists()
    assert (tmp_path / "app.py").read_text() == GOOD


def test_yaml_is_only_ever_loaded_with_safe_load() -> None:
    """No call anywhere in the package can construct Python objects from YAML."""
    unsafe = {"load", "load_all", "full_load", "full_load_all", "unsafe_load", "unsafe_load_all"}
    package = Path(parlint.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "yaml" and (
                    node.attr in unsafe or node.attr in ("Loader", "FullLoader", "UnsafeLoader")
                ):
                    offenders.append(f"{path.name}:{node.lineno} yaml.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "yaml":
                names = {alias.name for alias in node.names}
                if names & (unsafe | {"Loader", "FullLoader", "UnsafeLoader"}):
                    offenders.append(f"{path.name}:{node.lineno} from yaml import {names}")
    assert offenders == []


# --- no network -----------------------------------------------------------------------------------


def test_no_network_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("parlint tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    (tmp_path / "app.py").write_text(
        GOOD + "\nURL = 'https://example.com/api'  # a URL in the analysed code\n"
    )
    monkeypatch.chdir(tmp_path)
    assert invoke("check", "-j", "1", "app.py").exit_code == 1
    assert invoke("check", "--output-format", "sarif", "-j", "1", "app.py").exit_code == 1
    assert invoke("rule", "PAR101").exit_code == 0
    assert invoke("fix", "--unsafe-fixes", "-j", "1", "app.py").exit_code in (0, 1)
    assert "asyncio.gather(" in (tmp_path / "app.py").read_text()


def test_no_network_in_a_real_process_with_the_pool(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for i in range(20):  # enough files for the process pool
        (project / f"mod{i}.py").write_text(GOOD)
    for command in (["check", "--output-format", "sarif"], ["fix", "--unsafe-fixes"]):
        code, events, output = run_audited(project, project, *command, "-j", "2", ".")
        assert code in (0, 1), output
        assert "network" not in events, events["network"]


# --- fix never writes outside the given paths ---------------------------------------------------


@pytest.fixture
def outside_world(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(project root, the given path `src`, a victim directory outside it)."""
    root = tmp_path / "repo"
    src = root / "src"
    src.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "target.py").write_text(GOOD)
    (root / "other.py").write_text(GOOD)  # inside the repo but not given
    (src / "app.py").write_text(GOOD)
    return root, src, victim


def written_outside(events: dict[str, list[str]], given: Path) -> list[str]:
    allowed = os.path.realpath(given)
    return [
        path for path in events.get("write", [])
        if not (path == allowed or path.startswith(allowed + os.sep))
    ]


def test_symlinked_file_and_directory_pointing_outside_are_not_written(
    outside_world: tuple[Path, Path, Path],
) -> None:
    root, src, victim = outside_world
    (src / "link.py").symlink_to(victim / "target.py")
    (src / "linked_dir").symlink_to(victim, target_is_directory=True)
    os.link(victim / "target.py", src / "hard.py")  # a hard link: the rename must break it

    code, events, output = run_audited(
        root, root.parent, "fix", "--unsafe-fixes", "--no-cache", "--isolated", "-j", "1", "src",
        "src/link.py",
    )
    assert written_outside(events, src) == []
    assert (victim / "target.py").read_text() == GOOD
    assert "symlink" in output  # reported, not silently skipped
    assert "asyncio.gather(" in (src / "app.py").read_text()
    assert "asyncio.gather(" in (src / "hard.py").read_text()
    assert (root / "other.py").read_text() == GOOD


@pytest.mark.parametrize(
    "config",
    [
        # Excludes and gitignore negations cannot pull files in from outside.
        '[tool.parlint]\nexclude = ["!../victim", "!../victim/**"]\nextend-exclude = ["../*"]\n',
        '[tool.parlint]\nper-file-ignores = {"../victim/*.py" = ["PAR000"]}\n',
        '[tool.parlint]\nexclude = []\nrespect-gitignore = false\n',
    ],
    ids=["exclude-negation", "per-file-ignores-traversal", "nothing-excluded"],
)
def test_no_configuration_pulls_outside_files_into_fix(
    outside_world: tuple[Path, Path, Path], config: str
) -> None:
    root, src, victim = outside_world
    (root / "pyproject.toml").write_text(config)
    (root / ".gitignore").write_text("!../victim/\n!/../victim/target.py\n")
    (src / "up").symlink_to(root.parent, target_is_directory=True)

    code, events, output = run_audited(
        root, root.parent, "fix", "--unsafe-fixes", "--no-cache", "-j", "1", "src"
    )
    assert code in (0, 1, 2), output
    assert written_outside(events, src) == []
    assert (victim / "target.py").read_text() == GOOD
    assert (root / "other.py").read_text() == GOOD
    assert "asyncio.gather(" in (src / "app.py").read_text()


def test_stdin_filename_outside_is_never_written(outside_world: tuple[Path, Path, Path]) -> None:
    root, src, victim = outside_world
    result = subprocess.run(
        [sys.executable, "-m", "parlint", "fix", "--unsafe-fixes", "--isolated", "-",
         "--stdin-filename", str(victim / "target.py")],
        cwd=root, input=GOOD, capture_output=True, text=True, timeout=120,
    )
    assert "asyncio.gather(" in result.stdout
    assert (victim / "target.py").read_text() == GOOD


def test_with_the_cache_only_the_cache_directory_is_written_besides_the_given_paths(
    outside_world: tuple[Path, Path, Path],
) -> None:
    root, src, victim = outside_world
    (root / "pyproject.toml").write_text("[tool.parlint]\n")
    code, events, output = run_audited(root, root.parent, "fix", "--unsafe-fixes", "-j", "1", "src")
    cache = os.path.realpath(root / ".parlint_cache")
    stray = [p for p in written_outside(events, src) if not p.startswith(cache + os.sep)]
    assert stray == []
    assert (victim / "target.py").read_text() == GOOD
