"""Draw a fixed random sample of PAR101/PAR102 findings over the whole corpus, for review by hand.

Lints every corpus file that mentions `await` with PAR101 and PAR102 selected (in-process engine,
a process pool), then samples N findings with a fixed seed and prints them with their code, so
a reviewer can judge each one (bench/labels/review_30.yaml holds the verdicts).

Usage:
  python bench/review_sample.py [--corpus DIR] [--n 30] [--seed 20261129] [--jobs 2]
                                [--findings FILE.json] [--show]
`--findings` caches every finding (JSON) and reuses the cache when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import resolve_corpus

CODES = ("PAR101", "PAR102")


def lint_file(args: tuple[str, str]) -> list[dict]:
    corpus, file = args
    from parlint.config import Config
    from parlint.engine import lint_source, read_source
    from parlint.types import Finding

    decoded = read_source(os.path.join(corpus, file))
    if isinstance(decoded, Finding):
        return []
    result = lint_source(decoded.source, file, Config(select=CODES))
    return [
        {"file": file, "line": f.line, "column": f.column, "code": f.code, "message": f.message}
        for f in result.findings
        if f.code in CODES
    ]


def corpus_files(corpus: Path) -> list[str]:
    files = []
    for path in sorted(corpus.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "await" in text:
            files.append(path.relative_to(corpus).as_posix())
    return files


def all_findings(corpus: Path, jobs: int) -> list[dict]:
    files = corpus_files(corpus)
    findings: list[dict] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for found in pool.map(lint_file, [(str(corpus), f) for f in files], chunksize=8):
            findings += found
    return sorted(findings, key=lambda f: (f["file"], f["line"], f["column"], f["code"]))


def sample(findings: list[dict], n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return sorted(rng.sample(findings, min(n, len(findings))), key=lambda f: (f["file"], f["line"]))


def show(corpus: Path, finding: dict, context: int = 12) -> str:
    lines = (corpus / finding["file"]).read_text(encoding="utf-8").splitlines()
    start = max(finding["line"] - context, 1)
    end = min(finding["line"] + context, len(lines))
    body = "\n".join(
        f"{'>>' if i == finding['line'] else '  '}{i:5} {lines[i - 1]}"
        for i in range(start, end + 1)
    )
    head = f"=== {finding['code']} {finding['file']}:{finding['line']} {finding['message']}"
    return f"{head}\n{body}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--findings", type=Path, help="JSON cache of all findings")
    parser.add_argument("--show", action="store_true", help="print each sampled finding's code")
    args = parser.parse_args(argv)
    corpus = resolve_corpus(args.corpus)
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    if args.findings and args.findings.exists():
        findings = json.loads(args.findings.read_text())
    else:
        findings = all_findings(corpus, args.jobs)
        if args.findings:
            args.findings.write_text(json.dumps(findings))
    counts = {code: sum(f["code"] == code for f in findings) for code in CODES}
    print(f"{len(findings)} findings over the corpus: {counts}", file=sys.stderr)
    for finding in sample(findings, args.n, args.seed):
        if args.show:
            print(show(corpus, finding))
        else:
            print(json.dumps(finding))
    return 0


if __name__ == "__main__":
    sys.exit(main())
