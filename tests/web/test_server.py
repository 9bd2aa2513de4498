"""`alsreview serve`: the warning when the server is reachable from the network."""

from __future__ import annotations

import pytest

from alsreview.web.server import exposure_warning


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_warning(host):
    assert exposure_warning(host, tls=False, behind_proxy=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "review.example.org"])
def test_other_addresses_warn_unless_tls_or_a_proxy(host):
    message = exposure_warning(host, tls=False, behind_proxy=False)
    assert message is not None and "clear text" in message and "docs/web.md" in message
    assert exposure_warning(host, tls=True, behind_proxy=False) is None
    assert exposure_warning(host, tls=False, behind_proxy=True) is None


def test_serve_refuses_half_a_tls_configuration(tmp_path):
    import subprocess
    import sys

    from alsreview.store import Project

    Project.create(tmp_path / "p").close()
    done = subprocess.run(
        [sys.executable, "-m", "alsreview", "serve", str(tmp_path / "p"), "--tls-cert", "c.pem"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1 and "--tls-key" in done.stderr


def test_a_worker_runs_its_ranking_on_one_blas_thread():
    """Workers are one per core; BLAS threads in each would spin against the others
    (measured in BENCHMARKS.md). In a fresh process with numpy's BLAS loaded, the worker's
    setup leaves every BLAS/OpenMP pool at one thread."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from alsreview.web.server import one_blas_thread\n"
        "before = [p['num_threads'] for p in threadpool_info()]\n"
        "one_blas_thread()\n"
        "print(json.dumps([before, [p['num_threads'] for p in threadpool_info()]]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    before, after = json.loads(out.stdout)
    assert after and set(after) == {1}
    assert before  # numpy's BLAS was loaded and seen
