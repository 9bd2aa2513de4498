"""The web app on a PostgreSQL project: the same API, blinding and writes as on SQLite."""

from __future__ import annotations

import pytest
from tests.web.conftest import Client, make_project

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
