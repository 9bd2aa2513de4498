"""The published JSON Schema matches the model; the bundled evidence file validates against it."""

import json
from importlib import resources

import jsonschema

from alsreview.evidence import evidence_json_schema

DATA = resources.files("alsreview.data")


def test_committed_schema_is_current():
    committed = json.loads(DATA.joinpath("evidence.schema.json").read_text("utf-8"))
    assert committed == evidence_json_schema(), "regenerate: alsreview evidence schema > ..."


def test_bundled_evidence_validates_against_the_schema():
    schema = json.loads(DATA.joinpath("evidence.schema.json").read_text("utf-8"))
    bundled = json.loads(DATA.joinpath("evidence_als_stem_cells.json").read_text("utf-8"))
    jsonschema.validate(bundled, schema)


def test_schema_refuses_a_fact_without_provenance():
    schema = json.loads(DATA.joinpath("evidence.schema.json").read_text("utf-8"))
    bundled = json.loads(DATA.joinpath("evidence_als_stem_cells.json").read_text("utf-8"))
    del bundled["studies"][0]["patients_enrolled"]["from"]
    try:
        jsonschema.validate(bundled, schema)
    except jsonschema.ValidationError as err:
        assert "from" in err.message
    else:
        raise AssertionError("a fact without 'from' was accepted")
