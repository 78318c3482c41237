"""The labelled evaluation's matching and scoring (bench/evaluate.py) on tiny synthetic labels."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_evaluate():
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


ev = _load_evaluate()


def label(line, end_line=None, code="PAR101", verdict="flag", file="pkg-1.0/a.py"):
    return ev.Label(file, line, end_line or line, code, verdict, "because")


def hit(line, code="PAR101", message="msg"):
    return ev.Hit(code, line, message)


# matching


@pytest.mark.parametrize(
    ("finding_line", "flagged"),
    [
        pytest.param(9, False, id="before-the-site"),
        pytest.param(10, True, id="first-line"),
        pytest.param(12, True, id="inside"),
        pytest.param(14, True, id="last-line"),
        pytest.param(15, False, id="after-the-site"),
    ],
)
def test_a_site_is_flagged_by_a_finding_starting_within_its_lines(finding_line, flagged):
    outcome = ev.match(label(10, 14), [hit(finding_line, message="3 awaits")])
    assert outcome.flagged is flagged
    assert outcome.messages == (("3 awaits",) if flagged else ())


def test_a_finding_of_another_code_does_not_flag_the_site():
    assert not ev.match(label(10, 14, code="PAR101"), [hit(10, code="PAR102")]).flagged


def test_outcome_kinds_cover_the_confusion_matrix():
    assert ev.match(label(1, verdict="flag"), [hit(1)]).kind == "TP"
    assert ev.match(label(1, verdict="flag"), []).kind == "FN"
    assert ev.match(label(1, verdict="no-flag"), [hit(1)]).kind == "FP"
    assert ev.match(label(1, verdict="no-flag"), []).kind == "TN"


# scoring


def test_score_counts_per_rule_and_overall():
    labels = [
        label(1, verdict="flag"),  # TP
        label(5, verdict="flag"),  # FN
        label(9, verdict="no-flag"),  # FP
        label(20, verdict="no-flag"),  # TN
        label(30, code="PAR102", verdict="flag"),  # TP
    ]
    hits = {"pkg-1.0/a.py": [hit(1), hit(9), hit(30, code="PAR102")]}
    report = ev.score(labels, hits, implemented=["PAR101", "PAR102"])
    par101 = report.rules["PAR101"]
    assert (par101.tp, par101.fp, par101.fn, par101.tn) == (1, 1, 1, 1)
    assert par101.precision == 0.5 and par101.recall == 0.5
    assert report.overall.tp == 2 and report.overall.labelled == 5
    assert [o.kind for o in report.disagreements] == ["FN", "FP"]


def test_precision_and_recall_are_undefined_without_flags_or_positives():
    empty = ev.RuleScore("PAR101", tn=3)
    assert empty.precision is None and empty.recall is None


def test_an_unimplemented_rule_scores_zero_recall_without_crashing():
    labels = [label(1), label(2, verdict="no-flag")]
    report = ev.score(labels, {"pkg-1.0/a.py": []}, implemented=[])
    rule = report.rules["PAR101"]
    assert not rule.implemented
    assert rule.recall == 0.0 and rule.precision is None
    table = ev.format_table(report)
    assert "rule not implemented" in table and "n/a" in table


def test_labels_of_files_missing_from_the_corpus_are_reported_not_scored():
    report = ev.score([label(1, file="gone-1.0/x.py"), label(2)], {"pkg-1.0/a.py": [hit(2)]})
    assert report.missing == ["gone-1.0/x.py"]
    assert report.rules["PAR101"].labelled == 1


@pytest.mark.parametrize(
    ("counts", "failures"),
    [
        pytest.param({"tp": 19, "fp": 1, "fn": 4}, [], id="meets-both"),
        pytest.param({"tp": 8, "fp": 2, "fn": 0}, ["precision 0.80 < 0.95"], id="low-precision"),
        pytest.param({"tp": 4, "fp": 0, "fn": 6}, ["recall 0.40 < 0.8"], id="low-recall"),
        pytest.param({"tp": 0, "fp": 0, "fn": 6}, ["recall 0.00 < 0.8"], id="never-flags"),
        pytest.param({"tp": 0, "fp": 3, "fn": 4}, [], id="too-few-positives-to-judge"),
    ],
)
def test_targets_apply_only_to_rules_with_enough_positives(counts, failures):
    assert ev.RuleScore("PAR101", **counts).failures() == failures


# label files


def test_label_files_parse_into_labels_with_a_default_stratum():
    data = [
        {
            "file": "p-1/a.py",
            "line": 3,
            "end_line": 4,
            "code": "PAR101",
            "verdict": "flag",
            "reason": "independent reads",
        },
        {
            "file": "p-1/a.py",
            "line": 9,
            "end_line": 9,
            "code": "PAR101",
            "verdict": "no-flag",
            "reason": "same session",
            "stratum": "fetch",
        },
    ]
    labels = ev.parse_labels(data, "PAR101.yaml")
    assert [(x.line, x.verdict, x.stratum) for x in labels] == [
        (3, "flag", "random"),
        (9, "no-flag", "fetch"),
    ]


VALID_ENTRY = {
    "file": "p/a.py",
    "line": 1,
    "end_line": 1,
    "code": "PAR101",
    "verdict": "flag",
    "reason": "r",
}


@pytest.mark.parametrize(
    ("change", "drop", "error"),
    [
        pytest.param({}, ("verdict", "reason"), "missing verdict, reason", id="missing-keys"),
        pytest.param({"verdict": "maybe"}, (), "verdict", id="bad-verdict"),
        pytest.param({"line": 5, "end_line": 4}, (), "line <= end_line", id="reversed-lines"),
        pytest.param({"reason": "  "}, (), "empty reason", id="empty-reason"),
        pytest.param({"colour": "red"}, (), "unknown keys", id="unknown-key"),
    ],
)
def test_malformed_label_entries_are_rejected_with_their_place(change, drop, error):
    entry = {k: v for k, v in {**VALID_ENTRY, **change}.items() if k not in drop}
    with pytest.raises(ev.LabelError, match=error) as info:
        ev.parse_labels([VALID_ENTRY | {"line": 7, "end_line": 7}, entry], "PAR101.yaml")
    assert "PAR101.yaml[1]" in str(info.value)


def test_the_same_site_labelled_twice_is_rejected():
    with pytest.raises(ev.LabelError, match="duplicate"):
        ev.parse_labels([VALID_ENTRY, dict(VALID_ENTRY, verdict="no-flag")], "PAR101.yaml")


def test_only_par_label_files_are_loaded(tmp_path):
    (tmp_path / "PAR101.yaml").write_text(
        "- {file: p/a.py, line: 1, end_line: 1, code: PAR101, verdict: flag, reason: r}\n"
    )
    (tmp_path / "review_30.yaml").write_text("- {anything: 1}\n")
    assert [x.code for x in ev.load_labels(tmp_path)] == ["PAR101"]


# corpus location


def test_corpus_is_the_flag_then_bench_corpus_then_the_environment(tmp_path, monkeypatch):
    assert ev.resolve_corpus("given", {"PARLINT_CORPUS": "env"}) == Path("given")
    monkeypatch.setattr(ev, "BENCH", tmp_path)
    assert ev.resolve_corpus(None, {"PARLINT_CORPUS": "env"}) == Path("env")
    (tmp_path / ".corpus").mkdir()
    assert ev.resolve_corpus(None, {"PARLINT_CORPUS": "env"}) == tmp_path / ".corpus"


# the command, end to end (a code no rule has, so the result does not depend on the rules)


def _tiny_setup(tmp_path, positives):
    corpus = tmp_path / "corpus"
    (corpus / "pkg-1.0").mkdir(parents=True)
    (corpus / "pkg-1.0" / "a.py").write_text(
        "async def f(c):\n" + "".join(f"    await c.get({i})\n" for i in range(positives + 1))
    )
    labels = tmp_path / "labels"
    labels.mkdir()
    entries = [
        {
            "file": "pkg-1.0/a.py",
            "line": i + 2,
            "end_line": i + 2,
            "code": "PAR990",
            "verdict": "flag" if i < positives else "no-flag",
            "reason": f"site {i}",
        }
        for i in range(positives + 1)
    ]
    (labels / "PAR990.yaml").write_text(json.dumps(entries))  # JSON is YAML
    return corpus, labels


def test_the_command_reports_json_and_fails_check_below_recall(tmp_path, capsys):
    corpus, labels = _tiny_setup(tmp_path, positives=5)
    status = ev.main(["--corpus", str(corpus), "--labels", str(labels), "--json", "--check"])
    out = json.loads(capsys.readouterr().out)
    assert status == 1
    (rule,) = out["rules"]
    assert rule["code"] == "PAR990" and not rule["implemented"]
    assert (rule["tp"], rule["fn"], rule["tn"], rule["recall"]) == (0, 5, 1, 0.0)
    assert len(out["disagreements"]) == 5
    assert out["disagreements"][0]["parlint"] == []


def test_the_command_lists_disagreements_and_passes_check_with_few_positives(tmp_path, capsys):
    corpus, labels = _tiny_setup(tmp_path, positives=2)
    status = ev.main(
        ["--corpus", str(corpus), "--labels", str(labels), "--show-disagreements", "--check"]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "FN PAR990 pkg-1.0/a.py:2 [flag] site 0" in out
    assert "parlint: no finding" in out


def test_the_command_exits_2_for_missing_files_and_bad_labels(tmp_path, capsys):
    corpus, labels = _tiny_setup(tmp_path, positives=1)
    (corpus / "pkg-1.0" / "a.py").unlink()
    assert ev.main(["--corpus", str(corpus), "--labels", str(labels)]) == 2
    (labels / "PAR990.yaml").write_text("- {file: x}\n")
    assert ev.main(["--corpus", str(corpus), "--labels", str(labels)]) == 2
    assert "bad labels" in capsys.readouterr().err


def test_strata_are_scored_separately():
    labels = [
        ev.Label("p/a.py", 1, 1, "PAR101", "flag", "r", stratum="random"),
        ev.Label("p/a.py", 5, 5, "PAR101", "no-flag", "r", stratum="fetch"),
        ev.Label("p/a.py", 9, 9, "PAR101", "flag", "r", stratum="fetch"),
    ]
    report = ev.score(labels, {"p/a.py": [hit(1), hit(5)]}, implemented=["PAR101"])
    strata = ev.by_stratum(report).rules
    assert list(strata) == ["PAR101/fetch", "PAR101/random"]
    assert (strata["PAR101/fetch"].fp, strata["PAR101/fetch"].fn) == (1, 1)
    assert strata["PAR101/random"].tp == 1
