"""monitor.rules.loader: every problem is reported with the right file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.rules import RuleError, RuleSetError, check_rules, load_rules

GOOD = """\
pack:
  name: test
  description: test pack
rules:
  - id: {id}
    title: Nama 02
    description: nama disebut
    category: partisan
    weight: 0.3
    target: Paslon 02
    terms:
      any: [prabowo, "#prabowogibran"]
      none: [kahlil gibran]
    examples:
      match: ["Pr4bowo datang", "#PrabowoGibran"]
      no_match: ["diganjar", "kahlil gibran"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def only_error(paths: list[Path]) -> RuleError:
    errors = check_rules(paths)
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def test_good_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "good.yaml", GOOD.format(id="r1"))
    assert check_rules([path]) == []
    rs = load_rules([path])
    assert [lr.rule.id for lr in rs.rules] == ["r1"]
    assert rs.rules[0].source_file == str(path) and rs.rules[0].line == 5
    assert rs.files == (str(path),)
    assert rs.match("pak prabowo")[0].source_file == str(path)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace("title: Nama 02", "title: Nama: 02")
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.file, err.line) == (str(path), 6)
    assert err.message.startswith("YAML syntax error: mapping values are not allowed here")
    with pytest.raises(RuleSetError) as exc:
        load_rules([path])
    assert exc.value.errors == [err]
    assert f"{path}:6: YAML syntax error" in str(exc.value)


def test_regex_term_with_wrong_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace("any: [prabowo,", "any: [prabowo: x,"))
    errors = check_rules([path])
    assert [(e.line, e.field, e.message) for e in errors] == [
        (12, "rules[0].terms.any[0].regex", "required field is missing"),
        (12, "rules[0].terms.any[0].prabowo", "unknown key 'prabowo'"),
    ]


def test_unclosed_flow_list_points_at_the_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "pack: {name: x, description: y}\nrules: [\n")
    err = only_error([path])
    assert err.line is not None and err.line >= 2 and "YAML syntax error" in err.message


def test_unknown_key(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace("    weight: 0.3\n", "    weight: 0.3\n    wieght: 0.5\n")
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.line, err.field) == (10, "rules[0].wieght")
    assert err.message == "unknown key 'wieght'"
    assert str(err) == f"{path}:10: rules[0].wieght: unknown key 'wieght'"


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace("weight: 0.3", 'weight: "0.3"'))
    err = only_error([path])
    assert (err.line, err.field) == (9, "rules[0].weight")
    assert "valid number" in err.message and "found string" in err.message


def test_weight_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace("weight: 0.3", "weight: 1.5"))
    err = only_error([path])
    assert (err.line, err.field) == (9, "rules[0].weight")


def test_missing_field_points_at_the_rule(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace("    category: partisan\n", ""))
    err = only_error([path])
    assert (err.line, err.field, err.message) == (5, "rules[0].category", "required field is missing")


def test_wrong_term_type(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace('any: [prabowo, "#prabowogibran"]', "any: [prabowo, 2]"))
    err = only_error([path])
    assert (err.line, err.field) == (12, "rules[0].terms.any[1]")
    assert "string or a mapping {regex: ...}" in err.message


def test_bad_regex(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace(
        '      any: [prabowo, "#prabowogibran"]\n',
        "      any:\n        - prabowo\n        - \"#prabowogibran\"\n        - regex: 'coblos (0?2'\n",
    )
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.line, err.field) == (15, "rules[0].terms.any[2]")
    assert err.message.startswith("regex does not compile:")
    assert str(err).startswith(f"{path}:15: rules[0].terms.any[2]: regex does not compile: ")


def test_regex_matching_everything_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace('"#prabowogibran"]', "{regex: 'x*'}]"))
    err = only_error([path])
    assert err.field == "rules[0].terms.any[1]" and "empty string" in err.message


def test_term_that_normalises_to_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace('"#prabowogibran"]', '"!!!"]'))
    err = only_error([path])
    assert (err.line, err.field) == (12, "rules[0].terms.any[1]")
    assert "normalises to the empty string" in err.message


def test_hashtag_with_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="r1").replace('"#prabowogibran"]', '"#prabowo gibran"]'))
    err = only_error([path])
    assert err.field == "rules[0].terms.any[1]" and "single hashtag token" in err.message


def test_rule_without_positive_terms(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace('      any: [prabowo, "#prabowogibran"]\n', "")
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.line, err.field) == (11, "rules[0].terms")
    assert "at least one of 'any' or 'all'" in err.message


def test_examples_need_both_lists(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace('      no_match: ["diganjar", "kahlil gibran"]\n', "")
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.line, err.field, err.message) == (14, "rules[0].examples.no_match", "required field is missing")


def test_invalid_id(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.format(id="Paslon 02"))
    err = only_error([path])
    assert (err.line, err.field) == (5, "rules[0].id") and "invalid rule id" in err.message


def test_duplicate_id_across_two_files_names_both(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD.format(id="dup"))
    second = write(tmp_path, "b.yaml", "# comment\n" + GOOD.format(id="dup"))
    err = only_error([tmp_path])
    assert (err.file, err.line, err.field) == (str(second), 6, "rules[0].id")
    assert f"first defined at {first}:5" in err.message
    with pytest.raises(RuleSetError):
        load_rules([first, second])


def test_duplicate_mapping_key(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace("    title: Nama 02\n", "    title: Nama 02\n    title: lagi\n")
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.line, err.field, err.message) == (7, "rules[0].title", "duplicate key")


def test_failing_examples(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace(
        'match: ["Pr4bowo datang", "#PrabowoGibran"]', 'match: ["Pr4bowo datang", "Ganjar datang"]'
    ).replace('no_match: ["diganjar", "kahlil gibran"]', 'no_match: ["diganjar", "prabowo lagi"]')
    path = write(tmp_path, "bad.yaml", bad)
    errors = check_rules([path])
    assert [(e.line, e.field) for e in errors] == [
        (15, "rules[0].examples.match[1]"),
        (16, "rules[0].examples.no_match[1]"),
    ]
    assert errors[0].message.startswith("example expected to match but did not")
    assert errors[1].message.startswith("example matched but must not")
    assert "prabowo" in errors[1].message


def test_example_lines_in_block_lists(tmp_path: Path) -> None:
    bad = GOOD.format(id="r1").replace(
        '      match: ["Pr4bowo datang", "#PrabowoGibran"]\n',
        "      match:\n        - Pr4bowo datang\n        - nothing here\n",
    )
    path = write(tmp_path, "bad.yaml", bad)
    err = only_error([path])
    assert (err.line, err.field) == (17, "rules[0].examples.match[1]")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    assert "must be a mapping" in only_error([path]).message
    empty = write(tmp_path, "empty.yaml", "")
    assert "file is empty" in only_error([empty]).message


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    err = only_error([tmp_path / "nope.yaml"])
    assert (err.file, err.line, err.message) == (str(tmp_path / "nope.yaml"), None, "no such file or folder")
    (tmp_path / "empty").mkdir()
    assert "no *.yaml" in only_error([tmp_path / "empty"]).message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("pack: {name: caf\xe9}".encode("latin-1"))
    assert "not valid UTF-8" in only_error([path]).message


def test_folders_are_read_recursively_in_sorted_order_skipping_examples(tmp_path: Path) -> None:
    write(tmp_path, "rules/b.yml", GOOD.format(id="b"))
    write(tmp_path, "rules/a.yaml", GOOD.format(id="a"))
    write(tmp_path, "rules/sub/c.yaml", GOOD.format(id="c"))
    write(tmp_path, "rules/examples/x.yaml", GOOD.format(id="x"))
    write(tmp_path, "rules/.hidden/h.yaml", GOOD.format(id="h"))
    write(tmp_path, "rules/notes.txt", "not a rule file")
    rs = load_rules([tmp_path / "rules"])
    assert [lr.rule.id for lr in rs.rules] == ["a", "b", "c"]
    # An examples folder passed explicitly is read.
    both = load_rules([tmp_path / "rules", tmp_path / "rules" / "examples"])
    assert [lr.rule.id for lr in both.rules] == ["a", "b", "c", "x"]


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", GOOD.format(id="a"))
    assert len(load_rules([path, tmp_path]).rules) == 1


def test_all_errors_are_collected_across_files(tmp_path: Path) -> None:
    write(tmp_path, "1.yaml", GOOD.format(id="r1").replace("weight: 0.3", "weight: 2"))
    write(tmp_path, "2.yaml", "pack: [")
    write(tmp_path, "3.yaml", GOOD.format(id="r3").replace("category: partisan", "category: other"))
    errors = check_rules([tmp_path])
    assert [Path(e.file).name for e in errors] == ["1.yaml", "2.yaml", "3.yaml"]


def test_rule_error_str_without_line() -> None:
    assert str(RuleError("x.yaml", None, "", "no such file or folder")) == "x.yaml: no such file or folder"
    assert str(RuleError("x.yaml", 3, "pack.name", "bad")) == "x.yaml:3: pack.name: bad"
