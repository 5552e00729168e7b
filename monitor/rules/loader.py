"""Read rule files, validate them and report every problem with file, line and field.

``load_rules`` returns a compiled ``RuleSet`` or raises ``RuleSetError`` listing every
error (so a running service can keep its previous rule set); ``check_rules`` returns
the same errors as a list and never raises for content problems. Checked, in order:
YAML syntax and duplicate mapping keys, the schema (``monitor.rules.schema``), rule ids
unique across all files, every rule's own ``examples`` and, when the configured election ids
are given, that ``pack.elections`` names only those.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.rules.engine import LoadedRule, Matcher, RuleSet
from monitor.rules.errors import RuleError, RuleSetError
from monitor.rules.schema import TERM_TAGS, RuleFile
from monitor.text import normalize

__all__ = ["check_rules", "load_rules", "rule_files"]

RULE_SUFFIXES = (".yaml", ".yml")
SKIPPED_DIR = "examples"

Path_ = tuple[Any, ...]

_YAML_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "mapping"}


def load_rules(paths: Iterable[Path | str], elections: Collection[str] | None = None) -> RuleSet:
    """Load, validate and compile rule files; raise ``RuleSetError`` on any error.

    ``elections``: the configured election ids (``[elections.ID]``); ``None`` skips that check."""
    loaded, files, errors = _load(paths, elections)
    if errors:
        raise RuleSetError(errors)
    return RuleSet(loaded, files)


def check_rules(paths: Iterable[Path | str], elections: Collection[str] | None = None) -> list[RuleError]:
    """Every error in the given rule files and folders (empty list: all good)."""
    return _load(paths, elections)[2]


def rule_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[RuleError]]:
    """Expand files and folders into rule files, in load order.

    Folders are searched recursively for ``*.yaml``/``*.yml`` in sorted order; a
    subfolder named ``examples`` and hidden entries are skipped unless passed directly.
    """
    files: list[Path] = []
    errors: list[RuleError] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in RULE_SUFFIXES
                and p.is_file()
                and not any(part == SKIPPED_DIR or part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                errors.append(RuleError(str(path), None, "", "folder contains no *.yaml or *.yml rule files"))
        elif path.is_file():
            found = [path]
        else:
            errors.append(RuleError(str(path), None, "", "no such file or folder"))
            continue
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, errors


def _load(paths: Iterable[Path | str], elections: Collection[str] | None = None,
          ) -> tuple[list[LoadedRule], list[str], list[RuleError]]:
    files, errors = rule_files(paths)
    loaded: list[LoadedRule] = []
    first_seen: dict[str, str] = {}  # rule id -> "file:line" of its first definition
    for file in files:
        name = str(file)
        parsed, lines, file_errors = _parse_file(file)
        if parsed is not None:
            file_errors.extend(_check_elections(name, parsed, lines, elections))
            for i, rule in enumerate(parsed.rules):
                line = lines.get(("rules", i))
                if rule.id in first_seen:
                    msg = f"duplicate rule id {rule.id!r} (first defined at {first_seen[rule.id]})"
                    file_errors.append(RuleError(name, _line_for(lines, ("rules", i, "id")), f"rules[{i}].id", msg))
                    continue
                first_seen[rule.id] = f"{name}:{line}"
                loaded.append(LoadedRule(rule=rule, source_file=name, line=line, pack=parsed.pack.name,
                                         pack_elections=tuple(parsed.pack.elections)))
            file_errors.extend(_check_examples(name, parsed, lines))
        errors.extend(sorted(file_errors, key=lambda e: e.line or 0))
    return loaded, [str(f) for f in files], errors


def _parse_file(file: Path) -> tuple[RuleFile | None, dict[Path_, int], list[RuleError]]:
    """Parse and validate one file: (model or None, line of each field path, errors)."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, {}, [RuleError(name, None, "", f"file is not valid UTF-8: {exc.reason} at byte {exc.start}")]
    except OSError as exc:
        return None, {}, [RuleError(name, None, "", f"cannot read file: {exc.strerror or exc}")]
    try:
        loader = yaml.SafeLoader(text)  # refuses control characters before parsing anything
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return None, {}, [RuleError(name, line, "", f"YAML syntax error: character #x{exc.character:04x} "
                                                    "is not allowed in a YAML file")]
    lines: dict[Path_, int] = {}
    try:
        node = loader.get_single_node()
        errors = _collect_lines(name, node, (), lines) if node is not None else []
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        return None, {}, [_syntax_error(name, exc)]
    except yaml.YAMLError as exc:
        return None, {}, [RuleError(name, None, "", f"YAML syntax error: {exc}")]
    finally:
        loader.dispose()
    if data is None:
        return None, lines, errors + [RuleError(name, 1, "", "file is empty; expected keys 'pack' and 'rules'")]
    if not isinstance(data, dict):
        msg = f"a rule file must be a mapping with keys 'pack' and 'rules' (found {_type_name(data)})"
        return None, lines, errors + [RuleError(name, 1, "", msg)]
    try:
        return RuleFile.model_validate(data), lines, errors
    except ValidationError as exc:
        return None, lines, errors + [_schema_error(name, err, lines) for err in exc.errors(include_url=False)]


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> RuleError:
    """A YAML parser/scanner error at the line where the problem was found."""
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or "invalid YAML"
    if exc.context:
        started = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
        message += f" ({exc.context}{started})"
    return RuleError(file, mark.line + 1 if mark else None, "", f"YAML syntax error: {message}")


def _type_name(value: Any) -> str:
    """YAML-flavoured name of a parsed value's type, for messages."""
    return "null" if value is None else _YAML_TYPES.get(type(value), type(value).__name__)


def _collect_lines(file: str, node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> list[RuleError]:
    """Record the 1-based line of every field path; report duplicate mapping keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    errors: list[RuleError] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            sub = path + (key,)
            if key in seen:
                errors.append(RuleError(file, key_node.start_mark.line + 1, _field(sub), "duplicate key"))
                continue
            seen.add(key)
            lines.setdefault(sub, key_node.start_mark.line + 1)
            errors.extend(_collect_lines(file, value_node, sub, lines))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            errors.extend(_collect_lines(file, item, path + (i,), lines))
    return errors


def _field(path: Path_) -> str:
    """``("rules", 3, "terms", "any", 2)`` -> ``rules[3].terms.any[2]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    """Line of ``path`` or of its nearest ancestor that exists in the file."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _schema_error(file: str, err: Any, lines: dict[Path_, int]) -> RuleError:
    """Turn one pydantic error into a RuleError with a readable message."""
    path = tuple(p for p in err["loc"] if p not in TERM_TAGS)
    if err["type"] == "value_error" and len(path) >= 2 and path[-1] == "regex" and isinstance(path[-2], int):
        path = path[:-1]  # "terms.any[2]: regex does not compile", not "terms.any[2].regex: ..."
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        msg = f"unknown key {path[-1]!r}"
    elif kind == "missing":
        msg = "required field is missing"
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch" and path[-1:] == ("id",):
        msg = (f"invalid rule id {err.get('input')!r}: use lower-case letters, digits, '.', '_' and '-',"
               " starting with a letter or digit")
    elif kind.endswith("_type") or kind == "model_type":
        msg = f"{msg} (found {_type_name(err.get('input'))})"
    return RuleError(file, _line_for(lines, path), _field(path) or "(top level)", msg)


def _check_elections(file: str, parsed: RuleFile, lines: dict[Path_, int],
                     elections: Collection[str] | None) -> list[RuleError]:
    """``pack.elections`` must name elections configured in config.toml (when they are known)."""
    if elections is None:
        return []
    errors = []
    for i, eid in enumerate(parsed.pack.elections):
        if eid not in elections:
            known = ", ".join(sorted(elections)) or "none configured"
            path = ("pack", "elections", i)
            errors.append(RuleError(file, _line_for(lines, path), _field(path),
                                    f"unknown election {eid!r} (config.toml [elections]: {known})"))
    return errors


def _check_examples(file: str, parsed: RuleFile, lines: dict[Path_, int]) -> list[RuleError]:
    """Run every rule of one file on its own examples."""
    matcher = Matcher(parsed.rules)
    errors: list[RuleError] = []
    for i, rule in enumerate(parsed.rules):
        for kind, texts in (("match", rule.examples.match), ("no_match", rule.examples.no_match)):
            for j, text in enumerate(texts):
                fired = {idx: terms for idx, terms in matcher.evaluate(normalize(text))}
                path = ("rules", i, "examples", kind, j)
                if kind == "match" and i not in fired:
                    msg = f"example expected to match but did not: {_clip(text)}"
                elif kind == "no_match" and i in fired:
                    msg = f"example matched but must not (terms: {', '.join(fired[i])}): {_clip(text)}"
                else:
                    continue
                errors.append(RuleError(file, _line_for(lines, path), _field(path), msg))
    return errors


def _clip(text: str, width: int = 70) -> str:
    return repr(text if len(text) <= width else text[: width - 1] + "…")
