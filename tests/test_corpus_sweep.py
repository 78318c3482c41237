"""Corpus sweep: real code nobody on the team wrote, through `parlint check` and
`parlint fix --unsafe-fixes` (every rule on).

The subset is pinned in bench/corpus-ci.txt and built by bench/build_corpus.py into
bench/.corpus/ (git-ignored, reused between runs; wheels come from PyPI, or from the folder named
by PARLINT_CORPUS_WHEELS). The sweep runs on a copy, in real processes with the process pool,
and proves: no crash and no PAR999 in either command, every rewritten file compiles and lints
clean of PAR000/PAR999, and a second fix changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "bench" / "corpus-ci.txt"
CORPUS = REPO / "bench" / ".corpus"


def pins() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in MANIFEST.read_text().splitlines())
    return [line.replace("==", "-") for line in lines if line]


def parlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PARLINT_OUTPUT_FORMAT"}
    return subprocess.run(
        [sys.executable, "-m", "parlint", *args],
        cwd=cwd, capture_output=True, text=True, timeout=900, env=env,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name, data in files.items():
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()


@dataclass
class Sweep:
    root: Path
    pristine: dict[str, bytes]
    check: subprocess.CompletedProcess[str]
    fix: subprocess.CompletedProcess[str]
    fixed: dict[str, bytes]
    recheck: subprocess.CompletedProcess[str]
    second_fix: subprocess.CompletedProcess[str]
    after_second: dict[str, bytes]

    @property
    def changed(self) -> list[str]:
        return [name for name, data in self.fixed.items() if self.pristine.get(name) != data]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    command = [sys.executable, str(REPO / "bench" / "build_corpus.py"),
               "--manifest", str(MANIFEST), "--corpus", str(CORPUS)]
    if os.environ.get("PARLINT_CORPUS_WHEELS"):
        command += ["--wheels", os.environ["PARLINT_CORPUS_WHEELS"]]
    built = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if built.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot build the CI corpus:\n{built.stdout}\n{built.stderr}")
        pytest.skip(f"cannot build the CI corpus (offline?): {built.stderr.strip()[-300:]}")
    root = tmp_path_factory.mktemp("corpus")
    for pin in pins():
        shutil.copytree(CORPUS / pin, root / pin)
    pristine = snapshot(root)
    everything = ["--select", "ALL", "--no-cache", "--isolated", "--no-respect-gitignore"]
    check = parlint("check", *everything, "--output-format", "json", "-j", "2", ".", cwd=root)
    fix = parlint("fix", *everything, "--unsafe-fixes", "-j", "2", ".", cwd=root)
    fixed = snapshot(root)
    recheck = parlint("check", *everything, "--output-format", "json", "-j", "2", ".", cwd=root)
    second_fix = parlint("fix", *everything, "--unsafe-fixes", "-j", "2", ".", cwd=root)
    return Sweep(root, pristine, check, fix, fixed, recheck, second_fix, snapshot(root))


def internal_errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if " PAR999 " in line or '"PAR999"' in line]


def test_the_subset_is_a_real_sample(sweep: Sweep) -> None:
    assert len(sweep.pristine) >= 200, "the CI corpus shrank: check bench/corpus-ci.txt"


def test_check_never_crashes_and_never_reports_an_internal_error(sweep: Sweep) -> None:
    assert sweep.check.returncode in (0, 1), sweep.check.stderr[-3000:]
    assert "Traceback" not in sweep.check.stderr
    findings = json.loads(sweep.check.stdout)
    assert [f for f in findings if f["code"] == "PAR999"] == []
    assert findings, "no findings at all in async-heavy code: the rules did not run"


def test_fix_never_crashes_and_never_reports_an_internal_error(sweep: Sweep) -> None:
    # 2 is also "some files could not be parsed", which a corpus may hold: say which.
    output = sweep.fix.stdout + sweep.fix.stderr
    assert sweep.fix.returncode in (0, 1, 2), output[-3000:]
    assert "Traceback" not in output
    assert internal_errors(output) == []
    assert "Fixed " in output


def test_fix_rewrites_something_and_every_rewritten_file_compiles(sweep: Sweep) -> None:
    assert sweep.changed, "fix changed nothing: the sweep does not exercise the fixer"
    broken = []
    for name in sweep.changed:
        try:
            compile(sweep.fixed[name], name, "exec", dont_inherit=True)
        except SyntaxError as exc:
            broken.append(f"{name}: {exc}")
    assert broken == []
    assert set(sweep.fixed) == set(sweep.pristine), "fix created or removed files"


def test_fixed_code_lints_without_parse_or_internal_errors(sweep: Sweep) -> None:
    assert sweep.recheck.returncode in (0, 1), sweep.recheck.stderr[-3000:]
    before = {(f["filename"], f["code"]) for f in json.loads(sweep.check.stdout)
              if f["code"] == "PAR000"}
    after = json.loads(sweep.recheck.stdout)
    new_errors = [
        f for f in after
        if f["code"] == "PAR999" or (f["code"] == "PAR000" and (f["filename"], "PAR000") not in before)
    ]
    assert new_errors == []


def test_a_second_fix_changes_nothing(sweep: Sweep) -> None:
    output = sweep.second_fix.stdout + sweep.second_fix.stderr
    assert "Traceback" not in output and internal_errors(output) == []
    changed_again = [n for n, d in sweep.after_second.items() if sweep.fixed.get(n) != d]
    assert changed_again == []
    assert digest(sweep.after_second) == digest(sweep.fixed)
