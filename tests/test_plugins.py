"""Every extension point is documented, and built-in sources are registered like plugins."""

import inspect
import string

import pytest

from monitor.collect.base import Source
from monitor.i18n import t
from monitor.i18n.catalog import MESSAGES
from monitor.sources import SourceConfigError, _load, make_source, source_types


@pytest.mark.parametrize("type_name", sorted(source_types()))
def test_every_source_plugin_is_documented(type_name):
    cls = _load(source_types()[type_name])
    assert issubclass(cls, Source)
    assert cls.type_name == type_name
    doc = inspect.getdoc(inspect.getmodule(cls))
    assert doc and len(doc) > 40, f"source module of {type_name} needs a docstring"
    assert cls.options_model is not None, "a source validates its own options"
    assert cls.options_model.model_config.get("extra") == "forbid"


def test_source_interface_methods_have_docs():
    for name in ("fetch", "aclose"):
        assert inspect.getdoc(getattr(Source, name)), name


def test_unknown_source_type_and_bad_options_name_the_key(tmp_path):
    with pytest.raises(SourceConfigError, match=r"sources.feed.type: unknown source type 'rss2'"):
        make_source("feed", "rss2", {})
    with pytest.raises(SourceConfigError, match=r"sources.inbox.batch_sise: unknown key"):
        make_source("inbox", "jsonl", {"path": str(tmp_path), "batch_sise": 3})


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_exists_in_both_languages_with_same_placeholders(key):
    entry = MESSAGES[key]
    assert set(entry) == {"id", "en"}
    assert _fields(entry["id"]) == _fields(entry["en"])


def test_translation_formats():
    assert t("hit_not_found", "en", hit_id="H1") == "Hit H1 not found."
    assert t("hit_not_found", "id", hit_id="H1") == "Temuan H1 tidak ditemukan."
