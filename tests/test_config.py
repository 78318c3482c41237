"""The configuration loader: discovery, every key, strict validation, layering."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parlint.config import (
    DEFAULT_EXCLUDES,
    Config,
    ConfigError,
    build_config,
    find_config_file,
    glob_problem,
    load_config,
    resolved_values,
    rule_states,
    validate,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pyproject(tmp_path: Path, body: str) -> Path:
    return write(tmp_path / "pyproject.toml", "[tool.parlint]\n" + textwrap.dedent(body))


# --- discovery -----------------------------------------------------------------------------


def test_no_configuration_gives_defaults(tmp_path: Path) -> None:
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.source is None
    assert config.select is None and config.exclude is None
    assert config.max_concurrency == 5
    assert config.target_version == (3, 9)


def test_pyproject_found_by_walking_up_from_the_files(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\n")
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    config = load_config([str(deep)], cwd=deep)
    assert config.max_concurrency == 7
    assert config.source == str(tmp_path / "pyproject.toml")
    assert Path(config.root) == tmp_path


def test_pyproject_without_a_parlint_table_is_skipped(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\n")
    inner = write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'x'\n").parent
    assert find_config_file(inner) == tmp_path / "pyproject.toml"


def test_parlint_yaml_is_read_with_safe_load(tmp_path: Path) -> None:
    write(tmp_path / ".parlint.yaml", "max-concurrency: 9\nselect: [PAR0]\n")
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.max_concurrency == 9
    assert config.select == ("PAR0",)


def test_yaml_tags_that_construct_objects_are_refused(tmp_path: Path) -> None:
    write(tmp_path / ".parlint.yaml", "select: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(ConfigError, match="cannot parse YAML"):
        load_config([str(tmp_path)], cwd=tmp_path)


def test_parlint_yaml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\n")
    write(tmp_path / ".parlint.yaml", "max-concurrency: 2\n")
    assert load_config([str(tmp_path)], cwd=tmp_path).max_concurrency == 2


def test_the_nearest_configuration_wins(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\n")
    write(tmp_path / "sub" / ".parlint.yaml", "max-concurrency: 3\n")
    assert load_config([str(tmp_path / "sub")], cwd=tmp_path).max_concurrency == 3


def test_config_option_names_the_file(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\n")
    other = write(tmp_path / "ci" / "parlint.yaml", "max-concurrency: 4\n")
    config = load_config([str(tmp_path)], config_file=str(other), cwd=tmp_path)
    assert config.max_concurrency == 4
    assert Path(config.root) == other.parent


def test_isolated_ignores_every_file(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\n")
    assert load_config([str(tmp_path)], isolated=True, cwd=tmp_path).max_concurrency == 5


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: configuration file not found"):
        load_config([], config_file="nope.toml", cwd=tmp_path)


def test_config_file_without_parlint_table_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"has no \[tool.parlint\] table"):
        load_config([], config_file="pyproject.toml", cwd=tmp_path)


def test_empty_yaml_is_an_empty_configuration(tmp_path: Path) -> None:
    write(tmp_path / ".parlint.yaml", "# nothing yet\n")
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.source == str(tmp_path / ".parlint.yaml")
    assert config.select is None


# --- every key -----------------------------------------------------------------------------


def test_select_extend_select_and_ignore(tmp_path: Path) -> None:
    pyproject(
        tmp_path,
        """
        select = ["PAR0"]
        extend-select = ["PAR999"]
        ignore = ["PAR000"]
        """,
    )
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert (config.select, config.extend_select, config.ignore) == (
        ("PAR0",),
        ("PAR999",),
        ("PAR000",),
    )
    assert config.enabled_codes() == {"PAR999"}


def test_selectors_are_normalised_to_upper_case(tmp_path: Path) -> None:
    pyproject(tmp_path, 'select = ["par000", "all"]\n')
    assert load_config([str(tmp_path)], cwd=tmp_path).select == ("PAR000", "ALL")


def test_per_file_ignores(tmp_path: Path) -> None:
    pyproject(tmp_path, '[tool.parlint.per-file-ignores]\n"tests/*" = ["PAR0"]\n')
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.per_file_ignores == (("tests/*", ("PAR0",)),)


def test_exclude_replaces_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    pyproject(tmp_path, 'exclude = ["gen"]\nextend-exclude = ["legacy/**"]\n')
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.exclude == ("gen",)
    assert config.extend_exclude == ("legacy/**",)
    assert resolved_values(config)["exclude"] == ["gen"]
    assert resolved_values(Config())["exclude"] == list(DEFAULT_EXCLUDES)


def test_respect_gitignore_and_force_exclude(tmp_path: Path) -> None:
    pyproject(tmp_path, "respect-gitignore = false\nforce-exclude = true\n")
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.respect_gitignore is False
    assert config.force_exclude is True


def test_target_version_and_max_concurrency(tmp_path: Path) -> None:
    pyproject(tmp_path, 'target-version = "py312"\nmax-concurrency = 16\n')
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.target_version == (3, 12)
    assert config.max_concurrency == 16
    assert config.option("target-version") == "py312"


def test_rule_declared_options_reach_the_config(tmp_path: Path, fake_rules: None) -> None:
    pyproject(tmp_path, "fake-limit = 11\n")
    assert load_config([str(tmp_path)], cwd=tmp_path).option("fake-limit") == 11
    assert load_config([str(tmp_path)], isolated=True, cwd=tmp_path).option("fake-limit") == 3


@pytest.mark.parametrize(
    ("line", "value", "error"),
    [
        ("fake-flag = true", True, None),
        ('fake-flag = "true"', None, "fake-flag: expected true or false"),
        ('fake-name = "svc"', "svc", None),
        ("fake-name = 3", None, "fake-name: expected a string"),
        ('fake-patterns = ["db*", "conn"]', ("db*", "conn"), None),
        ('fake-patterns = "db*"', None, "fake-patterns: expected a list of strings"),
        ("fake-patterns = [1]", None, "fake-patterns: expected a list of strings"),
        ('fake-style = "two"', "two", None),
        ('fake-style = "three"', None, "fake-style: expected one of one, two, got 'three'"),
        ("fake-limit = -1", None, "fake-limit: must be at least 0"),
    ],
)
def test_declared_options_of_every_kind_are_validated(
    tmp_path: Path, fake_rules: None, line: str, value: object, error: str | None
) -> None:
    pyproject(tmp_path, line + "\n")
    if error is not None:
        with pytest.raises(ConfigError, match=error):
            load_config([str(tmp_path)], cwd=tmp_path)
        return
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.option(line.split(" =")[0]) == value


def test_every_declared_option_has_a_valid_default() -> None:
    from parlint.registry import declared_options

    for name, option in declared_options().items():
        default = option.default
        expected = tuple(default) if isinstance(default, (list, tuple)) else default
        assert validate({name: default}, "defaults")[name] == expected, name


# --- strict validation: one line naming file and key ---------------------------------------

BAD_VALUES = [
    pytest.param("colour = true\n", "unknown key 'colour'", id="unknown-key"),
    pytest.param("max_concurrency = 3\n", "did you mean 'max-concurrency'", id="snake-case-key"),
    pytest.param('select = "PAR0"\n', "select: expected a list of rule codes", id="codes-not-list"),
    pytest.param("select = [1]\n", "select: expected a list of rule codes", id="code-not-str"),
    pytest.param('select = ["PAR1O1"]\n', "select: unknown rule code or prefix 'PAR1O1'", id="bad-code"),
    pytest.param('ignore = ["PAR99"]\n', None, id="prefix-is-fine"),
    pytest.param('ignore = ["XYZ"]\n', "ignore: unknown rule code or prefix 'XYZ'", id="bad-ignore"),
    pytest.param('extend-select = ["PR0"]\n', "extend-select: unknown rule code", id="bad-extend"),
    pytest.param('exclude = ["gen["]\n', "exclude: bad glob 'gen[': an unclosed '['", id="bad-glob"),
    pytest.param('extend-exclude = [""]\n', "extend-exclude: bad glob '': an empty pattern", id="empty-glob"),
    pytest.param("exclude = 3\n", "exclude: expected a list of glob patterns", id="globs-not-list"),
    pytest.param('respect-gitignore = "yes"\n', "respect-gitignore: expected true or false", id="bool"),
    pytest.param('force-exclude = 1\n', "force-exclude: expected true or false", id="bool-int"),
    pytest.param('max-concurrency = "5"\n', "max-concurrency: expected an integer", id="int-str"),
    pytest.param("max-concurrency = true\n", "max-concurrency: expected an integer", id="int-bool"),
    pytest.param("max-concurrency = 0\n", "max-concurrency: must be at least 1", id="int-minimum"),
    pytest.param("max-concurrency = 2.5\n", "max-concurrency: expected an integer", id="int-float"),
    pytest.param('target-version = "py38"\n', "target-version: expected one of py39", id="choice"),
    pytest.param("target-version = 3.12\n", "target-version: expected one of", id="choice-type"),
    pytest.param(
        'per-file-ignores = ["x"]\n', "per-file-ignores: expected a table", id="pfi-not-table"
    ),
    pytest.param(
        '[tool.parlint.per-file-ignores]\n"a[" = ["PAR0"]\n',
        "per-file-ignores: bad glob 'a['",
        id="pfi-bad-glob",
    ),
    pytest.param(
        '[tool.parlint.per-file-ignores]\n"tests/*" = ["PAR77"]\n',
        "per-file-ignores: tests/*: unknown rule code",
        id="pfi-bad-code",
    ),
    pytest.param(
        '[tool.parlint.per-file-ignores]\n"tests/*" = "PAR0"\n',
        "per-file-ignores: tests/*: expected a list of rule codes",
        id="pfi-codes-not-list",
    ),
]


@pytest.mark.parametrize(("body", "message"), BAD_VALUES)
def test_bad_pyproject_value_names_file_and_key(tmp_path: Path, body: str, message: str | None) -> None:
    pyproject(tmp_path, body)
    if message is None:
        load_config([str(tmp_path)], cwd=tmp_path)
        return
    with pytest.raises(ConfigError) as info:
        load_config([str(tmp_path)], cwd=tmp_path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{tmp_path / 'pyproject.toml'} [tool.parlint]: ")
    assert message in text


FILE_ERRORS = [
    pytest.param(
        ".parlint.yaml",
        "max-concurrency: lots\n",
        r"\.parlint\.yaml: max-concurrency: expected an integer",
        id="yaml-bad-value",
    ),
    pytest.param(".parlint.yaml", "- select\n", "expected a mapping", id="yaml-not-mapping"),
    pytest.param(".parlint.yaml", "select: [PAR0\n", r"\.parlint\.yaml: cannot parse YAML", id="yaml-syntax"),
    pytest.param("pyproject.toml", "[tool.parlint\n", r"pyproject\.toml: cannot parse TOML", id="toml-syntax"),
    pytest.param(
        "pyproject.toml", "[tool]\nparlint = 3\n", r"\[tool\.parlint\] must be a table", id="not-table"
    ),
]


@pytest.mark.parametrize(("name", "text", "pattern"), FILE_ERRORS)
def test_bad_configuration_file(tmp_path: Path, name: str, text: str, pattern: str) -> None:
    write(tmp_path / name, text)
    with pytest.raises(ConfigError, match=pattern):
        load_config([str(tmp_path)], cwd=tmp_path)


def test_command_line_values_are_validated_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="command line: select: unknown rule code or prefix 'PAR9O'"):
        load_config([], overrides={"select": ("PAR9O",)}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("*.py", None),
        ("tests/**/conftest.py", None),
        ("[!_]*.py", None),
        ("[]]x", None),
        ("a[b", "an unclosed '['"),
        ("x]", "a ']' without '['"),
        ("{a,b}", "brace expansion"),
        ("  ", "an empty pattern"),
    ],
)
def test_glob_problem(pattern: str, problem: str | None) -> None:
    found = glob_problem(pattern)
    assert (found is None) if problem is None else (problem in (found or ""))


# --- layering ------------------------------------------------------------------------------


def test_command_line_select_starts_the_selection_afresh(tmp_path: Path) -> None:
    pyproject(tmp_path, 'ignore = ["PAR000"]\nextend-select = ["PAR999"]\n')
    config = load_config([str(tmp_path)], overrides={"select": ("PAR000",)}, cwd=tmp_path)
    assert config.enabled_codes() == {"PAR000"}


def test_command_line_ignore_and_extend_select_add_to_the_file(tmp_path: Path) -> None:
    pyproject(tmp_path, 'select = ["PAR000"]\nignore = ["PAR999"]\nextend-exclude = ["a"]\n')
    config = load_config(
        [str(tmp_path)],
        overrides={"extend-select": ("PAR999",), "ignore": ("PAR000",), "extend-exclude": ("b",)},
        cwd=tmp_path,
    )
    assert config.ignore == ("PAR999", "PAR000")
    assert config.extend_select == ("PAR999",)
    assert config.extend_exclude == ("a", "b")


def test_command_line_options_replace_file_values(tmp_path: Path) -> None:
    pyproject(tmp_path, "max-concurrency = 7\nrespect-gitignore = false\n")
    config = load_config(
        [str(tmp_path)],
        overrides={"max-concurrency": 2, "respect-gitignore": True, "target-version": None},
        cwd=tmp_path,
    )
    assert config.max_concurrency == 2
    assert config.respect_gitignore is True


# --- explanation ---------------------------------------------------------------------------


def test_rule_states_say_why(fake_rules: None) -> None:
    config = build_config({"select": ("PAR9",), "ignore": ("PAR991",)})
    states = {s.code: s for s in rule_states(config)}
    assert states["PAR990"].enabled and "selected by 'PAR9' in select" in states["PAR990"].reason
    assert not states["PAR991"].enabled and "ignored by 'PAR991'" in states["PAR991"].reason
    assert not states["PAR000"].enabled and states["PAR000"].reason == "not matched by select"
    default = {s.code: s for s in rule_states(Config())}
    assert default["PAR000"].reason == "on by default"
