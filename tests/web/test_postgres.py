"""The web app on a PostgreSQL project: the same API, blinding and writes as on SQLite."""

from __future__ import annotations

import pytest
from tests.web.conftest import Client, consensus_of, fill_dual, make_project

pytestmark = pytest.mark.postgres


def test_blind_dual_screening_through_the_api_on_postgresql(tmp_path, pg_url):
    from alsreview.web import create_app

    project = make_project(tmp_path / "pg", url=pg_url)
    try:
        assert project.engine.dialect.name == "postgresql"
        app = create_app(project)
        rita, ravi, olivia = Client(app, "rita"), Client(app, "ravi"), Client(app, "olivia")
        rid = rita.get("/api/records/next").json()["id"]
        assert rita.vote(rid, "include", note="mine").status_code == 201
        assert ravi.vote(rid, "exclude").status_code == 201
        seen = ravi.get(f"/api/records/{rid}/decisions").json()
        assert [v["reviewer"] for v in seen["votes"]] == ["ravi"]
        assert olivia.post("/api/stages/title_abstract/unblind").status_code == 200
        (conflict,) = ravi.get("/api/conflicts").json()
        assert conflict["record_id"] == rid and len(conflict["votes"]) == 2
        assert rita.get("/api/prisma").json()["screened"] == 5
    finally:
        project.close()


def test_owner_consensus_through_the_api_on_postgresql(tmp_path, pg_url):
    from alsreview.appraisal.assessments import current_judgements
    from alsreview.web import create_app

    project = fill_dual(make_project(tmp_path / "pg", url=pg_url))
    try:
        app = create_app(project)
        rita, olivia = Client(app, "rita"), Client(app, "olivia")
        assert rita.get("/api/consensus/extraction/r1").status_code == 403
        got = olivia.get("/api/consensus/extraction/r1").json()
        assert [o["field"] for o in got["open"]] == ["patients_analysed", "cell_type"]
        body = {"take": {"patients_analysed": "ravi", "cell_type": "rita"}}
        assert olivia.post("/api/consensus/extraction/r1", json=body).status_code == 201
        saved = consensus_of(project)
        assert saved.data["patients_analysed"]["value"] == 26 and saved.reviewer == "olivia"
        body = {"study": "r1", "tool": "jbi-quasi", "adopt": "rita"}
        assert olivia.post("/api/consensus/appraisal", json=body).status_code == 201
        assert current_judgements(project, "jbi-quasi").overall() == {"r1": "low"}
    finally:
        project.close()
