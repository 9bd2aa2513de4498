"""Fixtures of the web tests: a project with three accounts and a few records, an app and
clients logged in as each account.  PostgreSQL comes from `ALSREVIEW_TEST_PG_URL` as in the
store tests (`tests/store/conftest.py`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.store.conftest import backend, pg_url  # noqa: F401  (fixtures reused)

from alsreview.records.model import Record

PASSWORDS = {"olivia": "owner-pass-1", "rita": "reviewer-pass-1", "ravi": "reviewer-pass-2"}
ROLES = {"olivia": "owner", "rita": "reviewer", "ravi": "reviewer"}
XSS_TITLE = '<script>window.__xss = 1</script>Stem cells "quoted" & more'
XSS_ABSTRACT = (
    '=HYPERLINK("http://evil.example","x")<img src="x" onerror="window.__xss = 2"> MSCs in ALS'
)


def sample_records() -> list[Record]:
    """Five references, one of them hostile (script in the title, onerror in the abstract)."""
    return [
        Record(
            title="Intrathecal mesenchymal stem cells in amyotrophic lateral sclerosis",
            abstract="A phase I/II trial of autologous bone marrow mesenchymal stem cells "
            "given intrathecally to patients with ALS; ALSFRS-R declined more slowly.",
            authors=["Petrou P", "Gothelf Y"],
            year=2016,
            doi="10.1001/jamaneurol.2015.4321",
            source="pubmed",
            source_id="1",
        ),
        Record(
            title=XSS_TITLE,
            abstract=XSS_ABSTRACT,
            authors=["Mallory M"],
            year=2020,
            source="pubmed",
            source_id="2",
        ),
        Record(
            title="Riluzole and survival in ALS: a cohort study",
            abstract="Riluzole prolonged survival; no cell therapy was given.",
            authors=["Smith A"],
            year=2019,
            source="pubmed",
            source_id="3",
        ),
        Record(
            title="Neural stem cell transplantation in ALS: phase 1 safety",
            abstract="Human spinal cord-derived neural stem cells were transplanted in 15 "
            "patients with amyotrophic lateral sclerosis.",
            authors=["Glass JD"],
            year=2016,
            source="pubmed",
            source_id="4",
        ),
        Record(
            title="Mouse models of motor neuron disease treated with stem cells",
            abstract="SOD1 mice received human umbilical cord blood cells.",
            authors=["Jones B"],
            year=2018,
            source="pubmed",
            source_id="5",
        ),
    ]


# -- two reviewers' versions of one study, for the owner's consensus ----------------------
XSS_NOTE = '<img src=x onerror="window.__xss=3">'


@pytest.fixture
def dual(project):
    return fill_dual(project)


def fill_dual(project):
    """Study r1 (record 1) extracted by rita and ravi: they agree on the design and differ
    on patients analysed (23 vs 26) and on the cell type (ravi's note has markup in it); both
    appraised it with JBI quasi-experimental: rita all "yes", ravi "no" on item 3."""
    from alsreview.appraisal.assessments import record_assessment
    from alsreview.extraction import review as rv

    rv.add_study(project, "r1", [1])
    for who, analysed, cells in (("rita", 23, "BM-MSC"), ("ravi", 26, "WJ-MSC")):
        rv.set_field(project, "r1", "design", rv.fact("single-arm", "Methods"), reviewer=who)
        rv.set_field(project, "r1", "patients_analysed", rv.fact(analysed, "Table 2"),
                     reviewer=who)  # fmt: skip
        cell_type = rv.fact(cells, "Methods", XSS_NOTE if who == "ravi" else None)
        rv.set_field(project, "r1", "cell_type", cell_type, reviewer=who)
    for who, item3 in (("rita", "yes"), ("ravi", "no")):
        answers = {str(i): "yes" for i in range(1, 10)} | {"3": item3}
        record_assessment(project, "r1", "jbi-quasi", answers, reviewer=who)
    return project


def consensus_of(project, study="r1"):
    from alsreview.store import extractions as xs

    rows = [e for e in xs.current_extractions(project, study) if e.kind == "consensus"]
    return rows[-1] if rows else None


def make_project(path, url=None):
    from alsreview.store import Project
    from alsreview.web.accounts import add_user

    project = Project.create(path, url=url)
    for name, pw in PASSWORDS.items():
        add_user(project, name, ROLES[name], pw)
    project.import_records(sample_records(), source="pubmed", label="sample", dedup="none")
    from alsreview.screening import set_reviewers_required

    for stage in ("title_abstract", "full_text"):  # dual review
        set_reviewers_required(project, stage, 2, "olivia")
    return project


@pytest.fixture(scope="session")
def project_template(tmp_path_factory):
    """One SQLite project with the accounts and records, built once (argon2 is slow by
    design); each test works on its own copy."""
    path = tmp_path_factory.mktemp("template") / "proj"
    make_project(path).close()
    return path


@pytest.fixture
def project(tmp_path, project_template):
    import shutil

    from alsreview.store import Project

    shutil.copytree(project_template, tmp_path / "proj")
    p = Project.open(tmp_path / "proj")
    yield p
    p.close()


@pytest.fixture
def app(project):
    from alsreview.web import create_app

    return create_app(project)


class Client:
    """A TestClient logged in as one user, sending its CSRF token on writes."""

    def __init__(self, app, name: str | None) -> None:
        from fastapi.testclient import TestClient

        self.http = TestClient(app)
        self.name = name
        self.csrf = ""
        if name is not None:
            r = self.http.post("/api/login", json={"username": name, "password": PASSWORDS[name]})
            assert r.status_code == 200, r.text
            self.csrf = r.json()["csrf_token"]

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def vote(self, record_id: int, decision: str, stage: str = "title_abstract", **extra):
        body = {"record_id": record_id, "stage": stage, "decision": decision, **extra}
        return self.post("/api/decisions", json=body)

    def post(self, url, csrf: bool = True, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.http.post(url, headers=headers, **kw)


@pytest.fixture
def login(app):
    return lambda name: Client(app, name)


# -- a live server and a real browser ----------------------------------------------------
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


class LiveServer:
    """uvicorn serving an app in a thread on a free loopback port."""

    def __init__(self, app) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright (never a downloaded browser).

    A missing browser fails the test, in CI and elsewhere: a skip would read as a pass."""
    if not Path(CHROMIUM).exists():
        message = "Debian chromium is needed at /usr/bin/chromium (.ci/run installs it)"
        pytest.fail(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screenshots:
    def __init__(self, name: str) -> None:
        self.dir = ARTIFACTS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page, label: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}_{label}.png"
        # caret="initial": hiding the caret injects a <style>, which the CSP (rightly) blocks
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path


@pytest.fixture
def shots(request):
    return Screenshots(request.node.name)


@pytest.fixture
def browser_page(chromium, live):
    """A fresh browser context (its own cookies) factory; console errors are collected."""
    contexts = []

    def open_page(name: str | None = None):
        ctx = chromium.new_context(viewport={"width": 1366, "height": 768}, base_url=live.url)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("dialog", lambda d: (page.errors.append(f"dialog: {d.message}"), d.dismiss()))
        if name is not None:
            page.goto("/login")
            page.get_by_label("User name").fill(name)
            page.get_by_label("Password").fill(PASSWORDS[name])
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{live.url}/")
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()
