"""The review protocol: the bundled ALS protocol carries the two reviews' facts; bad files
give errors that name the file, the key or the line.

The file format (issue 9 part 5): pydantic models give protocol.toml a JSON Schema; the
committed schema is the generated one, the bundled protocol (the one `alsreview init` and the
example project write) validates against it, and the schema and the parser agree."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from importlib import resources

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alsreview.errors import ImportFormatError, ValidationError
from alsreview.protocol import (
    PROTOCOL_FILENAME,
    bundled_protocol_text,
    default_protocol,
    load_protocol,
    parse_protocol,
)
from alsreview.protocol.schema import protocol_json_schema
from alsreview.store import Project

MINIMAL = """
[review]
title = "T"
question = "Q?"
date_from = 2013-01-01
date_to = 2024-03-01

[pico]
population = "ALS"
intervention = "stem cells"
outcomes = ["ALSFRS-R"]

[[search]]
source = "pubmed"
query = "(als) AND (stem cells)"

[criteria]
inclusion = ["humans"]
exclusion = ["reviews"]

[[exclusion_reason]]
code = "review"
label = "Literature review"
"""


def test_bundled_protocol_has_the_reviews_searches_and_windows():
    p = default_protocol()
    pubmed = p.searches_for("pubmed")
    assert len(pubmed) == 2
    # 2022 review: searched 2022-08-21, studies less than 10 years old.
    old = next(s for s in pubmed if s.searched_on == dt.date(2022, 8, 21))
    assert "(pluripotent stem cells)" in old.query and "(IPSCs)" in old.query
    assert old.date_from == dt.date(2012, 8, 21) and old.date_to == dt.date(2022, 8, 21)
    # Blume et al.: 2013-01-01 to 2024-03-01, three descriptors joined by AND.
    new = next(s for s in pubmed if s is not old)
    assert new.date_from == dt.date(2013, 1, 1) and new.date_to == dt.date(2024, 3, 1)
    assert new.query.count(" AND ") == 2 and "motor neurone disease" in new.query
    sources = {s.source for s in p.searches}
    assert {"scopus", "cochrane", "lilacs", "scielo"} <= sources
    assert {s.source for s in p.searches if s.searchable} >= {"pubmed", "ctgov", "europepmc"}
    assert any("gene therapy" in e.lower() for e in p.exclusion)
    assert p.reason("animal").label.lower().startswith("animal")
    assert "ALSFRS-R" in " ".join(p.pico.outcomes)


def test_bundled_text_is_the_file_init_writes_and_round_trips(tmp_path):
    path = tmp_path / "protocol.toml"
    path.write_text(bundled_protocol_text(), encoding="utf-8")
    assert load_protocol(path) == default_protocol()


def test_minimal_protocol_defaults_search_window_to_review_window():
    p = parse_protocol(MINIMAL, path="p.toml")
    (s,) = p.searches
    assert (s.date_from, s.date_to) == (dt.date(2013, 1, 1), dt.date(2024, 3, 1))
    assert p.searches[0].searchable


def test_toml_syntax_error_names_file_and_line():
    bad = MINIMAL.replace('title = "T"', 'title = "T')
    with pytest.raises(ImportFormatError) as err:
        parse_protocol(bad, path="p.toml")
    assert err.value.path == "p.toml"
    assert err.value.line == 3
    assert isinstance(err.value.__cause__, tomllib.TOMLDecodeError)


def test_every_problem_is_reported_with_its_key():
    bad = (
        MINIMAL.replace('source = "pubmed"', 'source = "altavista"')
        .replace("date_to = 2024-03-01", "date_to = 2010-01-01")
        .replace('query = "(als) AND (stem cells)"', 'query = "(als AND (stem cells)"')
        .replace('code = "review"', 'code = "Bad Code"')
    )
    with pytest.raises(ValidationError) as err:
        parse_protocol(bad, path="p.toml")
    cols = {p.column for p in err.value.problems}
    assert {"search[1].source", "search[1].query", "review", "exclusion_reason[1].code"} <= cols
    assert all(p.file == "p.toml" for p in err.value.problems)
    assert "altavista" in str(err.value)


def test_missing_tables_and_wrong_types():
    with pytest.raises(ValidationError) as err:
        parse_protocol('[review]\ntitle = 3\nquestion = "q"\n', path="x.toml")
    text = str(err.value)
    assert "review.title" in text and "[pico]" in text and "[[search]]" in text


def test_unknown_exclusion_reason_lists_known_codes():
    p = parse_protocol(MINIMAL)
    with pytest.raises(ValidationError, match="known: review"):
        p.reason("nope")


def test_unreadable_file_is_an_import_error(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ImportFormatError, match=r"p\.toml"):
        load_protocol(path)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_protocol_or_a_located_error(text):
    try:
        parse_protocol(text, path="fuzz.toml")
    except ImportFormatError as exc:
        assert exc.path == "fuzz.toml"
    except ValidationError as exc:
        assert all(p.file == "fuzz.toml" for p in exc.problems)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "question", "date_from", "date_to", "languages"]),
        st.one_of(
            st.integers(),
            st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
            st.booleans(),
            st.lists(st.integers()),
        ),
    )
)
def test_wrong_types_in_review_table_are_validation_errors(review):
    text = tomli_w_review(review) + "\n[pico]" + MINIMAL.split("[pico]", 1)[1]
    try:
        p = parse_protocol(text, path="x.toml")
    except ValidationError as exc:
        assert all(p.column and p.column.startswith("review") for p in exc.problems)
    else:  # only well-typed tables get through
        assert isinstance(p.title, str) and p.title and isinstance(p.question, str)
        assert all(isinstance(x, str) for x in p.languages)


def tomli_w_review(review: dict) -> str:
    """A [review] table written by hand (values as TOML literals)."""
    import json

    lines = ["[review]"]
    for k, v in review.items():
        value = json.dumps(v, ensure_ascii=False)
        lines.append(f"{k} = {value.lower() if isinstance(v, bool) else value}")
    return "\n".join(lines) + "\n"


DATA = resources.files("alsreview.data")


def _schema() -> dict:
    return json.loads(DATA.joinpath("protocol.schema.json").read_text("utf-8"))


def _as_json(toml_text: str) -> dict:
    """TOML read into JSON values (dates as ISO strings), as a schema validator sees it."""
    return json.loads(json.dumps(tomllib.loads(toml_text), default=str))


def _schema_accepts(toml_text: str) -> bool:
    return jsonschema.Draft202012Validator(_schema()).is_valid(_as_json(toml_text))


def test_committed_schema_is_current():
    assert _schema() == protocol_json_schema(), (
        "regenerate: alsreview protocol schema > src/alsreview/data/protocol.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(_schema())


def test_bundled_protocol_validates_against_the_schema():
    jsonschema.validate(_as_json(bundled_protocol_text()), _schema())


def test_a_new_projects_protocol_validates(tmp_path):
    """`alsreview init` and the example project write the bundled protocol."""
    Project.create(tmp_path / "p").close()
    text = (tmp_path / "p" / PROTOCOL_FILENAME).read_text("utf-8")
    jsonschema.validate(_as_json(text), _schema())
    assert parse_protocol(text).title


BAD = {
    "unknown key": MINIMAL.replace('title = "T"', 'title = "T"\ntitel = "T"'),
    "no search": MINIMAL.replace(
        '[[search]]\nsource = "pubmed"\nquery = "(als) AND (stem cells)"', ""
    ),
    "unknown source": MINIMAL.replace('source = "pubmed"', 'source = "altavista"'),
    "bad code": MINIMAL.replace('code = "review"', 'code = "Bad Code"'),
    "empty title": MINIMAL.replace('title = "T"', 'title = "  "'),
    "title a number": MINIMAL.replace('title = "T"', "title = 3"),
    "no inclusion": MINIMAL.replace('inclusion = ["humans"]', "inclusion = []"),
    "missing pico": MINIMAL.replace('[pico]\npopulation = "ALS"', '[other]\npopulation = "ALS"'),
    "outcome not text": MINIMAL.replace('outcomes = ["ALSFRS-R"]', "outcomes = [1]"),
}


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_schema_and_parser_both_refuse(text):
    assert not _schema_accepts(text)
    with pytest.raises(ValidationError) as err:
        parse_protocol(text, path="p.toml")
    assert all(p.file == "p.toml" and p.column for p in err.value.problems)


def test_unknown_key_is_named():
    with pytest.raises(ValidationError, match=r"column review\.titel: unknown key"):
        parse_protocol(BAD["unknown key"], path="p.toml")


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "question", "languages", "origin"]),
        st.one_of(
            st.integers(),
            st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
            st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=3)),
        ),
    )
)
def test_what_the_parser_accepts_the_schema_accepts(review):
    text = tomli_w_review(review) + "\n[pico]" + MINIMAL.split("[pico]", 1)[1]
    try:
        parse_protocol(text, path="x.toml")
    except ValidationError:
        return
    assert _schema_accepts(text)
