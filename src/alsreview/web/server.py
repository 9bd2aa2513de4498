"""Run the web app with uvicorn (`alsreview serve`).

Binding to anything but loopback sends passwords and session cookies over the network:
the server warns unless it terminates TLS itself (`--tls-cert/--tls-key`) or a reverse proxy
does (`--behind-proxy`; see `docs/web.md` for nginx and caddy).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from alsreview.errors import AlsreviewError

if TYPE_CHECKING:
    from fastapi import FastAPI


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, *, tls: bool, behind_proxy: bool) -> str | None:
    """The warning to print for this binding, or None when it is safe."""
    if is_loopback(host) or tls or behind_proxy:
        return None
    return (
        f"listening on {host} without TLS: passwords and session cookies cross the network "
        "in clear text. Put a TLS reverse proxy in front (nginx or caddy, see docs/web.md) "
        "and pass --behind-proxy, or give --tls-cert and --tls-key."
    )


#: The environment variable through which `serve` tells each worker process what to open.
CONFIG_ENV = "ALSREVIEW_SERVE_CONFIG"
#: With several workers, a keep-alive connection is closed after this many requests so
#: that busy clients spread over the workers (`alsreview.web.app._SpreadConnections`).
REQUESTS_PER_CONNECTION = 25


def default_workers() -> int:
    """Worker processes by default: one per CPU core this process may use, at most 4.

    A request's work is Python holding the interpreter lock (the ranking refit of "next
    record" above all), so one process uses one core; more processes than cores only
    queue.  Each worker keeps its own ranking features (memory grows with workers)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


#: Thread-pool variables of BLAS/OpenMP that `serve` sets (unless given) for its workers.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """One BLAS/OpenMP thread in this worker process.

    The workers are already one per core and a request holds the interpreter lock; BLAS
    threads of the ranking's dense steps (the embeddings' ridge model) would only spin
    against the other workers: measured (BENCHMARKS.md, web load with embeddings) 105 ms of
    server CPU per decision with OpenBLAS's default threads, 21 ms with one."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def app_from_environment() -> FastAPI:
    """The app of one worker process (uvicorn's factory): opens the project named in
    `CONFIG_ENV` and builds the ranking's text features before the first request."""
    from alsreview.screening.ranking import project_ranker
    from alsreview.store import Project
    from alsreview.web.app import create_app

    one_blas_thread()
    config = json.loads(os.environ[CONFIG_ENV])
    project = Project.open(config["project"])
    project_ranker(project)  # not on the first reviewers' requests (a few seconds)
    spread = REQUESTS_PER_CONNECTION if config.get("workers", 1) > 1 else None
    return create_app(
        project, secure_cookies=config["secure_cookies"], requests_per_connection=spread
    )


def serve(
    project_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    behind_proxy: bool = False,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    warn: Callable[[str], None] = print,
    workers_log_level: str = "warning",
) -> None:
    """Serve the project with uvicorn: `workers` processes (default `default_workers()`)
    share the listening socket; every one opens the project itself.  What they share
    (sessions, the login rate limit, votes) is in the project's database."""
    import uvicorn

    from alsreview.store import Project

    if (tls_cert is None) != (tls_key is None):
        raise AlsreviewError("give both --tls-cert and --tls-key, or neither")
    n = default_workers() if workers is None else workers
    if n < 1:
        raise AlsreviewError(f"--workers must be at least 1, got {n}")
    tls = tls_cert is not None
    message = exposure_warning(host, tls=tls, behind_proxy=behind_proxy)
    if message:
        warn(message)
    Project.open(project_dir).close()  # a bad folder or database fails here, in the parent
    for name in BLAS_THREAD_VARIABLES:  # spawned workers start with one BLAS thread
        os.environ.setdefault(name, "1")
    os.environ[CONFIG_ENV] = json.dumps(
        {
            "project": str(Path(project_dir).resolve()),
            "secure_cookies": tls or behind_proxy,
            "workers": n,
        }
    )
    uvicorn.run(
        "alsreview.web.server:app_from_environment",
        factory=True,
        workers=n,
        host=host,
        port=port,
        log_level=workers_log_level,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        proxy_headers=behind_proxy,
        forwarded_allow_ips="127.0.0.1" if behind_proxy else None,
    )
