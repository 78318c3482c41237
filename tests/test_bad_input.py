"""Bad input, end to end: every odd file gets a clear one-line message, and nothing is lost.

"Nothing lost" means: the other files of the run are still checked and fixed, a file parlint
cannot handle is left byte for byte as it was, and a fixed file keeps what it had (encoding,
BOM, newlines, tabs, form feeds) and still compiles. Runs that could crash the interpreter
(deep nesting) go through a real process.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from cli_helpers import invoke, run_parlint
from parlint import engine, fixer, runner

# A realistic, unmistakable PAR101: two independent reads of a client, one after the other.
GOOD = (
    "async def load_dashboard(client: ShopClient):\n"
    "    user = await client.get_user()\n"
    "    orders = await client.get_orders()\n"
    "    return user, orders\n"
)
GOOD_FINDING = "good.py:2:5: PAR101"
LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PAR\d{3}) (?P<msg>.*)$")


def findings(output: str) -> list[tuple[str, int, int, str, str]]:
    return [
        (m["path"], int(m["line"]), int(m["col"]), m["code"], m["msg"])
        for m in map(LINE.match, output.splitlines())
        if m
    ]


def codes_for(output: str, name: str) -> list[str]:
    return [code for path, _, _, code, _ in findings(output) if path.endswith(name)]


def compiles(data: bytes) -> bool:
    try:
        compile(data, "<fixed>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with one good file (one PAR101) and no configuration; the cwd."""
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args: str):
    return invoke("check", "--isolated", "--no-cache", *args)


def fix(*args: str):
    return invoke("fix", "--isolated", "--no-cache", "--unsafe-fixes", *args)


def assert_good_fixed(tree: Path) -> None:
    text = (tree / "good.py").read_text()
    assert "await asyncio.gather(client.get_user(), client.get_orders())" in text
    assert compiles(text.encode())


# --- bytes and encodings ---------------------------------------------------------------------


def test_undecodable_bytes_are_one_par000_line_and_the_file_is_left_alone(tree: Path) -> None:
    data = b'async def greet(client):\n    await client.send("caf\xe9")\n    await client.close()\n'
    (tree / "bad.py").write_bytes(data)

    result = check(".")
    assert result.exit_code == 1
    (bad,) = [f for f in findings(result.output) if f[0] == "bad.py"]
    assert bad[3] == "PAR000" and "cannot decode" in bad[4] and "utf-8" in bad[4]
    assert GOOD_FINDING in result.output
    assert "Traceback" not in result.output + result.stderr

    result = fix(".")
    assert result.exit_code == 2  # an unreadable file is an error for `fix`
    assert (tree / "bad.py").read_bytes() == data
    assert_good_fixed(tree)


def test_nul_byte_is_a_parse_error_not_a_crash(tree: Path) -> None:
    data = b"async def f(client):\n    await client.get_a()\x00\n    await client.get_b()\n"
    (tree / "nul.py").write_bytes(data)
    result = check(".")
    assert codes_for(result.output, "nul.py") == ["PAR000"]
    assert GOOD_FINDING in result.output
    fix(".")
    assert (tree / "nul.py").read_bytes() == data


def test_bom_is_kept_once_and_positions_do_not_shift(tree: Path) -> None:
    (tree / "good.py").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    result = check("good.py")
    assert findings(result.output)[0][:4] == ("good.py", 2, 5, "PAR101")

    fix("good.py")
    data = (tree / "good.py").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    assert b"asyncio.gather(" in data and compiles(data)


def test_crlf_stays_crlf_on_every_line_including_added_ones(tree: Path) -> None:
    (tree / "good.py").write_bytes(GOOD.replace("\n", "\r\n").encode())
    assert findings(check("good.py").output)[0][:4] == ("good.py", 2, 5, "PAR101")

    fix("good.py")
    data = (tree / "good.py").read_bytes()
    assert b"asyncio.gather(" in data and b"import asyncio\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")  # no bare LF anywhere
    assert compiles(data)


def test_latin1_cookie_is_honoured_and_the_file_written_back_in_latin1(tree: Path) -> None:
    data = (
        b"# -*- coding: latin-1 -*-\n"
        b"async def greet(client: TranslateClient):\n"
        b'    hello = await client.translate("caf\xe9")\n'
        b'    bye = await client.translate("na\xefve")\n'
        b"    return hello, bye\n"
    )
    (tree / "good.py").write_bytes(data)
    assert findings(check("good.py").output)[0][:4] == ("good.py", 3, 5, "PAR101")

    assert fix("good.py").exit_code in (0, 1)
    fixed = (tree / "good.py").read_bytes()
    assert fixed.startswith(b"# -*- coding: latin-1 -*-\n")
    assert b'"caf\xe9"' in fixed and b'"na\xefve"' in fixed  # still latin-1, not utf-8
    assert b"asyncio.gather(" in fixed and compiles(fixed)


def test_unknown_encoding_cookie_is_named(tree: Path) -> None:
    data = b"# coding: klingon\nasync def f(client):\n    await client.get_a()\n"
    (tree / "odd.py").write_bytes(data)
    result = check(".")
    ((path, line, col, code, message),) = [f for f in findings(result.output) if f[0] == "odd.py"]
    assert code == "PAR000" and "klingon" in message
    assert GOOD_FINDING in result.output
    fix(".")
    assert (tree / "odd.py").read_bytes() == data


# --- layout: tabs, form feeds, long lines, empty files ---------------------------------------


def test_tab_indentation_is_kept_and_columns_count_characters(tree: Path) -> None:
    (tree / "good.py").write_text(GOOD.replace("    ", "\t"))
    assert findings(check("good.py").output)[0][:4] == ("good.py", 2, 2, "PAR101")

    fix("good.py")
    text = (tree / "good.py").read_text()
    assert "\tuser, orders = await asyncio.gather(" in text
    assert not any(line.startswith(" ") for line in text.splitlines())  # no mixed indentation
    assert compiles(text.encode())


def test_form_feeds_do_not_shift_lines_and_are_kept(tree: Path) -> None:
    source = "import os\n\x0c\n# Page two\n\x0c" + GOOD  # a page break, then one at a line start
    (tree / "good.py").write_text(source)
    assert findings(check("good.py").output)[0][:4] == ("good.py", 5, 5, "PAR101")

    fix("good.py")
    text = (tree / "good.py").read_text()
    assert text.count("\x0c") == 2 and "asyncio.gather(" in text and compiles(text.encode())


def test_very_long_line_is_handled_and_kept(tree: Path) -> None:
    table = "PRICES = {" + ", ".join(f"'item{i}': {i}" for i in range(20_000)) + "}\n"
    assert len(table) > 250_000
    (tree / "good.py").write_text(table + GOOD)
    result = check("good.py")
    assert findings(result.output)[0][:4] == ("good.py", 3, 5, "PAR101")

    fix("good.py")
    text = (tree / "good.py").read_text()
    assert text.splitlines()[0] == table.rstrip("\n") or text.splitlines()[2] == table.rstrip("\n")
    assert "asyncio.gather(" in text


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n\n", b"# only a comment\n", b"\xef\xbb\xbf", b"   \n\t\n", b'"""Docstring."""'],
    ids=["empty", "newlines", "comment", "bom-only", "whitespace", "no-final-newline"],
)
def test_empty_and_blank_files_pass_and_are_not_touched(tree: Path, data: bytes) -> None:
    (tree / "good.py").unlink()
    path = tree / "pkg" / "__init__.py"
    path.parent.mkdir()
    path.write_bytes(data)
    before = path.stat().st_mtime_ns
    result = check(".")
    assert result.exit_code == 0, result.output
    assert fix(".").exit_code == 0
    assert path.read_bytes() == data and path.stat().st_mtime_ns == before


# --- deep nesting (a real process: a native parser could take the interpreter down) ----------

DEEP_CASES = {
    # Deeper than Python's own parser accepts (200 nested brackets): must be a clean PAR000.
    "brackets": "CONFIG = " + "[" * 3000 + "]" * 3000 + "\n",
    "dicts": "CONFIG = " + "{1: " * 3000 + "1" + "}" * 3000 + "\n",
    # Valid Python that is deep for a recursive analysis.
    "boolean_chain": "READY = " + " and ".join(f"flag{i}" for i in range(1500)) + "\n",
    "string_concat": "DOC = (\n" + "\n".join(f'    "line {i}\\n"' for i in range(3000)) + "\n)\n",
    "elif_chain": "def route(x):\n    if x == 0:\n        return 0\n"
    + "".join(f"    elif x == {i}:\n        return {i}\n" for i in range(1, 1200)),
    "nested_blocks": "async def walk(client, x):\n"
    + "".join("    " * (i + 1) + f"if x > {i}:\n" for i in range(95))
    + "    " * 96 + "await client.get_a()\n" + "    " * 96 + "await client.get_b()\n",
}


# Two independent awaits and a loop: every rule parses and analyses the file.
ANALYSED = (
    "async def tick(client, ids):\n"
    "    a = await client.get_a()\n"
    "    b = await client.get_b()\n"
    "    for i in ids:\n"
    "        await client.get_item(i)\n"
    "    return a, b\n"
)
# Valid Python (CPython accepts each) that is too deep for the analysis or for libcst.
VALID_DEEP_CASES = {
    # In an async function, the analysis recurses per level: RecursionError in the rules.
    "and_chain_1000": (
        "async def ready(client):\n    return await client.get(" + " and ".join(["ok"] * 1000) + ")\n",
        "skipped in this file",
    ),
    "attribute_chain_1000": (
        "async def node(client):\n    return await client.get(root" + ".child" * 1000 + ")\n",
        "skipped in this file",
    ),
    "call_chain_1000": (
        "async def call(client):\n    return await client.get(make" + "()" * 1000 + ")\n",
        "skipped in this file",
    ),
    "plus_chain_1000": (
        "async def total(client):\n    return await client.get(" + " + ".join(["x"] * 1000) + ")\n",
        "skipped in this file",
    ),
    # libcst's native parser segfaults from about 7,500 operands (parlint.nesting): one line,
    # many lines in brackets, backslash continuations.
    "and_line_10000": ("READY = " + " and ".join(f"f{i}" for i in range(10_000)) + "\n", "10,003 levels"),
    "or_lines_8000": ("ANY = (\n" + "".join(f"    f{i} or\n" for i in range(7999)) + "    f\n)\n", "8,003 levels"),
    "and_backslashes_8000": ("ALL = f" + " and \\\n    f" * 7999 + "\n", "8,003 levels"),
}


@pytest.mark.parametrize("case", sorted(VALID_DEEP_CASES))
def test_valid_deep_code_is_one_clear_par000_line_and_the_run_survives(tmp_path: Path, case: str) -> None:
    deep_code, words = VALID_DEEP_CASES[case]
    source = ANALYSED + deep_code
    compile(source, "deep.py", "exec", flags=0x400, dont_inherit=True)  # Python accepts it
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "deep.py").write_text(source)
    result = run_parlint("check", "--isolated", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 1, f"parlint died: {result.returncode} {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr and GOOD_FINDING in result.stdout
    deep = [(code, message) for path, _, _, code, message in findings(result.stdout) if path.endswith("deep.py")]
    assert len(deep) == 1, deep
    code, message = deep[0]
    assert code == "PAR000" and message.startswith("cannot analyse: code nested too deeply"), message
    assert words in message


def test_the_chain_measure_is_cheap_and_exact_where_it_matters() -> None:
    from parlint.nesting import CHAIN_LIMIT, longest_chain

    below = "x = " + " and ".join(["a"] * (CHAIN_LIMIT - 10)) + "\n"
    assert longest_chain(below).operands == 0  # not even measured
    # Many operators on one logical line, but no deep expression: measured and let through.
    flat = "x = (" + ", ".join(["a + b"] * 4000) + ")\n"
    assert 0 < longest_chain(flat).operands < 10
    # Operators inside strings and comments do not count.
    assert longest_chain("x = '" + "+" * 20_000 + "'  # " + "-" * 20_000 + "\n").operands == 0
    deep = "def f():\n    if " + " or ".join(["a"] * 5000) + ":\n        pass\n"
    chain = longest_chain(deep)
    assert chain.operands >= 5000 and chain.line == 2 and not chain.python_refuses
    refused = "x = (\n" + "".join("    a +\n" for _ in range(7999)) + "    a\n)\n"
    assert longest_chain(refused).python_refuses


@pytest.mark.parametrize("case", sorted(DEEP_CASES))
def test_deeply_nested_code_is_a_clear_message_never_a_crash(tmp_path: Path, case: str) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    deep = tmp_path / "deep.py"
    deep.write_text("async def tick(client):\n    await client.ping()\n" + DEEP_CASES[case])
    before = deep.read_bytes()

    result = run_parlint("check", "--isolated", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode in (0, 1, 2), f"parlint died: {result.returncode} {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    assert GOOD_FINDING in result.stdout
    # Deep code is no internal error: at most one clear PAR000 line for the file.
    assert "PAR999" not in codes_for(result.stdout, "deep.py")
    for _, _, _, code, message in findings(result.stdout):
        if code == "PAR000":
            assert "\n" not in message and re.search(r"nested|too deep", message)

    result = run_parlint("fix", "--isolated", "--no-cache", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.returncode in (0, 1, 2), f"parlint died: {result.returncode} {result.stderr}"
    assert_good_fixed(tmp_path)
    after = deep.read_bytes()
    assert after == before or compiles(after)


# --- the file system changes under parlint's feet --------------------------------------------


def test_file_that_vanishes_before_it_is_read(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "gone.py").write_text(GOOD)
    real = runner.read_source

    def vanishing(path: str):
        if path.endswith("gone.py"):
            os.unlink(path)
        return real(path)

    monkeypatch.setattr(runner, "read_source", vanishing)
    result = check("-j", "1", ".")
    assert result.exit_code == 1
    (gone,) = [f for f in findings(result.output) if f[0] == "gone.py"]
    assert gone[3] == "PAR000" and "No such file" in gone[4]
    assert GOOD_FINDING in result.output


def test_file_that_vanishes_between_fixing_and_writing(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "gone.py").write_text(GOOD)
    real = fixer.fix_source

    def then_vanish(source: str, path: str, *args, **kwargs):
        result = real(source, path, *args, **kwargs)
        if path.endswith("gone.py"):
            os.unlink(path)
        return result

    monkeypatch.setattr(fixer, "fix_source", then_vanish)
    result = fix("-j", "1", ".")
    assert result.exit_code == 2
    messages = [m for p, _, _, _, m in findings(result.output) if p == "gone.py"]
    assert messages and all("\n" not in m for m in messages)
    assert not (tree / "gone.py").exists()  # not re-created from the fixed text
    assert_good_fixed(tree)


def test_file_that_becomes_unreadable(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "locked.py").write_text(GOOD)
    real_open = open

    def guarded_open(path, *args, **kwargs):
        # Running as root, chmod 000 does not stop reads: refuse the way the kernel would.
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(engine, "open", guarded_open, raising=False)
    result = check("-j", "1", ".")
    assert result.exit_code == 1
    (locked,) = [f for f in findings(result.output) if f[0] == "locked.py"]
    assert locked[3] == "PAR000" and "Permission denied" in locked[4]
    assert GOOD_FINDING in result.output

    result = fix("-j", "1", ".")
    assert result.exit_code == 2
    assert (tree / "locked.py").read_text() == GOOD
    assert_good_fixed(tree)


def test_read_only_file_is_reported_not_written_and_the_run_goes_on(tree: Path) -> None:
    locked = tree / "locked.py"
    locked.write_text(GOOD)
    locked.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        result = fix(".")
        assert result.exit_code == 2
        messages = [m for p, _, _, _, m in findings(result.output) if p == "locked.py"]
        assert any("read-only" in m for m in messages), result.output
        assert locked.read_text() == GOOD
        assert stat.S_IMODE(locked.stat().st_mode) == 0o444
        assert_good_fixed(tree)
    finally:
        locked.chmod(0o644)


# --- paths that are not what they seem -------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlink_loops_end_and_the_rest_is_checked(tree: Path) -> None:
    loops = tree / "loops"
    loops.mkdir()
    (loops / "a.py").symlink_to("b.py")
    (loops / "b.py").symlink_to("a.py")
    (loops / "again").symlink_to(".")  # a directory that contains itself
    (tree / "up").symlink_to(tree)

    result = check(".")
    assert result.exit_code == 1
    assert GOOD_FINDING in result.output
    assert len(findings(result.output)) == 1  # the good file, once: no walk through `again`

    result = check("loops/a.py")
    assert result.exit_code == 2
    assert "loops/a.py" in result.stderr and "\n" not in result.stderr.strip()
    assert "symlink loop" in result.stderr


def test_a_directory_where_a_file_was_expected(tree: Path) -> None:
    (tree / "settings").mkdir()
    for args in (["--config", "settings"], ["-o", "settings"], ["--baseline", "settings"]):
        result = invoke("check", "--no-cache", *args, "good.py")
        assert result.exit_code == 2, args
        assert "settings" in result.stderr and len(result.stderr.strip().splitlines()) == 1, args
        assert "Traceback" not in result.stderr


def test_a_directory_named_like_a_module_is_walked_not_read(tree: Path) -> None:
    package = tree / "plugins.py"
    package.mkdir()
    (package / "inner.py").write_text(GOOD)
    result = check(".")
    assert "plugins.py/inner.py:2:5: PAR101" in result.output
    assert not [f for f in findings(result.output) if f[3] == "PAR000"]


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_path_that_does_not_exist_exits_2_naming_it(tree: Path, command: str) -> None:
    result = run_parlint(command, "--isolated", "no/such/module.py", "good.py", cwd=tree)
    assert result.returncode == 2
    assert "no/such/module.py" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert (tree / "good.py").read_text() == GOOD


def test_valid_python_that_libcst_cannot_read_is_not_called_a_syntax_error(tmp_path: Path) -> None:
    # libcst's parser refuses about 5,000 implicitly concatenated strings; Python does not.
    source = ANALYSED + "DOC = (\n" + "".join(f'    "line {i}"\n' for i in range(6000)) + ")\n"
    compile(source, "doc.py", "exec", dont_inherit=True)
    (tmp_path / "doc.py").write_text(source)
    result = run_parlint("check", "--isolated", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    ((code, message),) = [(f[3], f[4]) for f in findings(result.stdout)]
    assert code == "PAR000" and message.startswith("cannot analyse: valid Python that parlint's parser")


# --- --config given something that is not a usable configuration file ----------------------


def _config_error(tree: Path, config: str, command: str = "check") -> str:
    result = invoke(command, "--no-cache", "--config", config, "good.py")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and not result.stdout, result.stderr
    assert (tree / "good.py").read_text() == GOOD
    return lines[0]


@pytest.mark.parametrize("command", ["check", "fix"])
def test_config_that_is_a_directory_is_one_line_naming_it(tree: Path, command: str) -> None:
    (tree / "settings").mkdir()
    line = _config_error(tree, "settings", command)
    assert "settings: is a directory, not a configuration file" in line
    (tree / "settings" / "pyproject.toml").write_text("[tool.parlint]\nmax-concurrency = 3\n")
    assert "did you mean settings/pyproject.toml?" in _config_error(tree, "settings", command)


def test_config_that_is_not_a_regular_file_is_refused_before_it_is_read(tree: Path) -> None:
    # /dev/null would silently mean "no settings"; a FIFO would block the run for ever.
    os.mkfifo(tree / "fifo.toml")
    assert _config_error(tree, "fifo.toml") == "parlint: error: fifo.toml: not a regular file"
    assert _config_error(tree, os.devnull) == f"parlint: error: {os.devnull}: not a regular file"


def test_config_that_is_missing_or_unreadable_is_one_line(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config_error(tree, "nowhere/pyproject.toml").endswith(
        "nowhere/pyproject.toml: configuration file not found"
    )
    (tree / "pyproject.toml").write_text("[tool.parlint]\nmax-concurrency = 3\n")
    (tree / ".parlint.yaml").write_text("max-concurrency: 3\n")
    real_open = open

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith(("pyproject.toml", ".parlint.yaml")):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    assert _config_error(tree, "pyproject.toml").endswith("pyproject.toml: cannot read: Permission denied")
    assert _config_error(tree, ".parlint.yaml").endswith(".parlint.yaml: cannot read: Permission denied")


def test_config_whose_table_is_missing_or_whose_bytes_are_not_text_is_one_line(tree: Path) -> None:
    (tree / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    assert _config_error(tree, "pyproject.toml") == "parlint: error: pyproject.toml: has no [tool.parlint] table"
    # Any TOML file with a [tool] table reads like a pyproject.toml.
    (tree / "ci.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert _config_error(tree, "ci.toml") == "parlint: error: ci.toml: has no [tool.parlint] table"
    (tree / "ci.toml").write_text("[tool.parlint]\nmax-concurrency = 3\n")
    assert invoke("check", "--no-cache", "--config", "ci.toml", "good.py").exit_code == 1  # GOOD's finding
    (tree / ".parlint.yaml").write_bytes(b"\xff\xfemax-concurrency: 3\n")
    assert "cannot read: not UTF-8" in _config_error(tree, ".parlint.yaml")
