"""Score parlint against hand labels on real code: precision and recall per rule.

The labels (bench/labels/PARnnn.yaml) were written by reading the code, independently of the
tool: each entry is one candidate site `{file, line, end_line, code, verdict, reason}` with
`verdict` flag or no-flag. A site counts as flagged by parlint when a finding with the entry's
code starts on a line within [line, end_line]. Findings outside every labelled site are not
scored (the labels are a sample).

Usage:
  python bench/evaluate.py [--corpus DIR] [--labels DIR] [--code PAR101 ...]
                           [--show-disagreements] [--json] [--check]

The corpus defaults to bench/.corpus (built by bench/build_corpus.sh) and falls back to the
environment variable PARLINT_CORPUS. `--check` exits 1 when a rule with at least
MIN_POSITIVES positive labels is below precision PRECISION_TARGET or recall RECALL_TARGET.
Exit status 2: bad labels, or labelled files missing from the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
PRECISION_TARGET = 0.95
RECALL_TARGET = 0.80
MIN_POSITIVES = 5
VERDICTS = ("flag", "no-flag")
REQUIRED = ("file", "line", "end_line", "code", "verdict", "reason")


class LabelError(ValueError):
    """A label file that does not have the documented shape."""


@dataclass(frozen=True)
class Label:
    file: str
    line: int
    end_line: int
    code: str
    verdict: str
    reason: str
    stratum: str = "random"
    source: str = ""  # label file and entry index, for error messages

    @property
    def positive(self) -> bool:
        return self.verdict == "flag"

    @property
    def where(self) -> str:
        span = str(self.line) if self.end_line == self.line else f"{self.line}-{self.end_line}"
        return f"{self.file}:{span}"


@dataclass(frozen=True)
class Hit:
    """A finding as the scorer needs it (plain values, whatever produced it)."""

    code: str
    line: int
    message: str


@dataclass(frozen=True)
class Outcome:
    label: Label
    flagged: bool
    messages: tuple[str, ...]  # messages of the findings that matched the site

    @property
    def kind(self) -> str:
        if self.label.positive:
            return "TP" if self.flagged else "FN"
        return "FP" if self.flagged else "TN"

    @property
    def agrees(self) -> bool:
        return self.kind in ("TP", "TN")


@dataclass
class RuleScore:
    code: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    implemented: bool = True

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def labelled(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.positives if self.positives else None

    def add(self, outcome: Outcome) -> None:
        kind = outcome.kind.lower()
        setattr(self, kind, getattr(self, kind) + 1)

    def failures(
        self,
        precision_target: float = PRECISION_TARGET,
        recall_target: float = RECALL_TARGET,
        min_positives: int = MIN_POSITIVES,
    ) -> list[str]:
        """Why this rule misses its targets (empty when it meets them or has too few positives)."""
        if self.positives < min_positives:
            return []
        why = []
        if self.precision is not None and self.precision < precision_target:
            why.append(f"precision {self.precision:.2f} < {precision_target}")
        recall = self.recall or 0.0
        if recall < recall_target:
            why.append(f"recall {recall:.2f} < {recall_target}")
        return why

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "implemented": self.implemented,
            "labelled": self.labelled,
            "positives": self.positives,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass
class Report:
    rules: dict[str, RuleScore]
    outcomes: list[Outcome]
    missing: list[str] = field(default_factory=list)  # labelled files absent from the corpus
    errors: list[str] = field(default_factory=list)  # PAR000/PAR999 in labelled files

    @property
    def overall(self) -> RuleScore:
        total = RuleScore("ALL")
        for score in self.rules.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
            total.tn += score.tn
        return total

    @property
    def disagreements(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.agrees]


# labels


def parse_labels(data: Any, source: str) -> list[Label]:
    """The entries of one label file's parsed YAML; LabelError says what is wrong and where."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise LabelError(f"{source}: expected a list of entries, got {type(data).__name__}")
    labels = []
    for index, entry in enumerate(data):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict):
            raise LabelError(f"{where}: expected a mapping")
        missing = [key for key in REQUIRED if key not in entry]
        if missing:
            raise LabelError(f"{where}: missing {', '.join(missing)}")
        unknown = set(entry) - set(REQUIRED) - {"stratum"}
        if unknown:
            raise LabelError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        line, end_line = entry["line"], entry["end_line"]
        if not (isinstance(line, int) and isinstance(end_line, int) and 1 <= line <= end_line):
            raise LabelError(f"{where}: need integers 1 <= line <= end_line")
        if entry["verdict"] not in VERDICTS:
            raise LabelError(f"{where}: verdict must be flag or no-flag")
        if not str(entry["reason"]).strip():
            raise LabelError(f"{where}: empty reason")
        labels.append(
            Label(
                file=str(entry["file"]),
                line=line,
                end_line=end_line,
                code=str(entry["code"]),
                verdict=entry["verdict"],
                reason=str(entry["reason"]),
                stratum=str(entry.get("stratum", "random")),
                source=where,
            )
        )
    seen: set[tuple[str, int, str]] = set()
    for label in labels:
        key = (label.file, label.line, label.code)
        if key in seen:
            raise LabelError(f"{label.source}: duplicate site {label.where} {label.code}")
        seen.add(key)
    return labels


def load_labels(directory: Path, codes: Sequence[str] | None = None) -> list[Label]:
    """Every entry of bench/labels/PAR*.yaml (other YAML files there are not label sets)."""
    labels: list[Label] = []
    for path in sorted(directory.glob("PAR*.yaml")):
        with open(path, encoding="utf-8") as handle:
            labels += parse_labels(yaml.safe_load(handle), path.name)
    if codes:
        labels = [label for label in labels if label.code in codes]
    return labels


# scoring (pure)


def match(label: Label, hits: Iterable[Hit]) -> Outcome:
    matched = tuple(
        h.message for h in hits if h.code == label.code and label.line <= h.line <= label.end_line
    )
    return Outcome(label, bool(matched), matched)


def score(
    labels: Sequence[Label],
    hits_by_file: Mapping[str, Sequence[Hit]],
    implemented: Iterable[str] = (),
) -> Report:
    """Match every label against the hits of its file; labels of absent files are skipped."""
    implemented = set(implemented)
    rules: dict[str, RuleScore] = {}
    outcomes: list[Outcome] = []
    missing: list[str] = []
    for label in labels:
        rule = rules.setdefault(
            label.code, RuleScore(label.code, implemented=label.code in implemented)
        )
        if label.file not in hits_by_file:
            if label.file not in missing:
                missing.append(label.file)
            continue
        outcome = match(label, hits_by_file[label.file])
        rule.add(outcome)
        outcomes.append(outcome)
    return Report(dict(sorted(rules.items())), outcomes, missing)


# running parlint


def resolve_corpus(explicit: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """--corpus, else bench/.corpus when it exists, else $PARLINT_CORPUS, else bench/.corpus."""
    if explicit:
        return Path(explicit)
    default = BENCH / ".corpus"
    if default.is_dir():
        return default
    if environ.get("PARLINT_CORPUS"):
        return Path(environ["PARLINT_CORPUS"])
    return default


def lint_files(corpus: Path, files: Iterable[str]) -> tuple[dict[str, list[Hit]], list[str]]:
    """Run the engine in-process on each file once, every rule selected."""
    from parlint.config import Config
    from parlint.engine import lint_source, read_source
    from parlint.types import Finding

    config = Config(select=("ALL",))
    hits: dict[str, list[Hit]] = {}
    errors: list[str] = []
    for file in sorted(set(files)):
        path = corpus / file
        if not path.is_file():
            continue
        decoded = read_source(str(path))
        if isinstance(decoded, Finding):
            findings: Sequence[Finding] = (decoded,)
        else:
            # The file's real path: the analysis reads the modules it imports from its project.
            findings = lint_source(decoded.source, str(path), config).findings
        hits[file] = [Hit(f.code, f.line, f.message) for f in findings]
        errors += [
            f"{file}:{f.line}: {f.code} {f.message}"
            for f in findings
            if f.code in ("PAR000", "PAR999")
        ]
    return hits, errors


def implemented_codes() -> set[str]:
    from parlint.registry import all_rules

    return set(all_rules())


def evaluate(corpus: Path, labels: Sequence[Label]) -> Report:
    hits, errors = lint_files(corpus, (label.file for label in labels))
    report = score(labels, hits, implemented_codes())
    report.errors = errors
    return report


# output


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_table(report: Report) -> str:
    width = max([7, *(len(code) for code in report.rules)])
    header = f"{'rule':{width}} {'sites':>5} {'pos':>4} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4}  precision  recall"
    rows = [header, "-" * len(header)]
    for score_ in [*report.rules.values(), report.overall]:
        note = "" if score_.implemented or score_.code == "ALL" else "  (rule not implemented)"
        rows.append(
            f"{score_.code:{width}} {score_.labelled:5} {score_.positives:4} {score_.tp:4} {score_.fp:4}"
            f" {score_.fn:4} {score_.tn:4}  {_ratio(score_.precision):>9}  {_ratio(score_.recall):>6}"
            + note
        )
    return "\n".join(rows)


def by_stratum(report: Report) -> Report:
    """The same outcomes scored per (rule, stratum): how the oversampled strata differ."""
    rules: dict[str, RuleScore] = {}
    for outcome in report.outcomes:
        key = f"{outcome.label.code}/{outcome.label.stratum}"
        implemented = report.rules[outcome.label.code].implemented
        rules.setdefault(key, RuleScore(key, implemented=implemented)).add(outcome)
    return Report(dict(sorted(rules.items())), report.outcomes)


def format_disagreements(report: Report) -> str:
    lines = []
    for outcome in sorted(report.disagreements, key=lambda o: (o.label.code, o.label.where)):
        label = outcome.label
        said = "; ".join(outcome.messages) if outcome.messages else "no finding"
        lines.append(
            f"{outcome.kind} {label.code} {label.where} [{label.verdict}] {label.reason}\n"
            f"     parlint: {said}"
        )
    return "\n".join(lines) if lines else "no disagreements"


def as_json(report: Report) -> dict[str, Any]:
    return {
        "rules": [s.as_dict() for s in report.rules.values()],
        "overall": report.overall.as_dict(),
        "strata": [s.as_dict() for s in by_stratum(report).rules.values()],
        "disagreements": [
            {
                "kind": o.kind,
                **{k: v for k, v in asdict(o.label).items() if k != "source"},
                "parlint": list(o.messages),
            }
            for o in report.disagreements
        ],
        "missing_files": report.missing,
        "errors": report.errors,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precision and recall of parlint on hand labels.")
    parser.add_argument(
        "--corpus", help="corpus root (default bench/.corpus, then $PARLINT_CORPUS)"
    )
    parser.add_argument("--labels", default=str(BENCH / "labels"), help="label directory")
    parser.add_argument("--code", action="append", help="only these rule codes (repeatable)")
    parser.add_argument("--show-disagreements", action="store_true")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--check", action="store_true", help="exit 1 below the targets")
    parser.add_argument("--by-stratum", action="store_true", help="also score each stratum")
    args = parser.parse_args(argv)

    try:
        labels = load_labels(Path(args.labels), args.code)
    except (LabelError, yaml.YAMLError, OSError) as exc:
        print(f"bad labels: {exc}", file=sys.stderr)
        return 2
    corpus = resolve_corpus(args.corpus)
    if not corpus.is_dir():
        print(f"corpus not found: {corpus} (build it or pass --corpus)", file=sys.stderr)
        return 2
    report = evaluate(corpus, labels)

    if args.json:
        print(json.dumps(as_json(report), indent=2))
    else:
        print(f"{len(labels)} labelled sites, corpus {corpus}")
        print(format_table(report))
        if args.by_stratum:
            print()
            print(format_table(by_stratum(report)))
        if args.show_disagreements:
            print()
            print(format_disagreements(report))
        for error in report.errors:
            print(f"error in labelled file: {error}")
    status = 0
    if report.missing:
        print(
            f"{len(report.missing)} labelled files missing from the corpus, e.g. "
            f"{report.missing[0]}",
            file=sys.stderr,
        )
        status = 2
    if args.check:
        failing = {c: s.failures() for c, s in report.rules.items() if s.failures()}
        for code, why in failing.items():
            print(f"{code} below target: {', '.join(why)}", file=sys.stderr)
        if failing and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
