"""Run the web app with uvicorn (`alsreview serve`).

Binding to anything but loopback sends passwords and session cookies over the network:
the server warns unless it terminates TLS itself (`--tls-cert/--tls-key`) or a reverse proxy
does (`--behind-proxy`; see `docs/web.md` for nginx and caddy).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from alsreview.errors import AlsreviewError


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


def serve(
    project_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    behind_proxy: bool = False,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    warn: Callable[[str], None] = print,
    workers_log_level: str = "warning",
) -> None:
    import uvicorn

    from alsreview.store import Project
    from alsreview.web.app import create_app

    if (tls_cert is None) != (tls_key is None):
        raise AlsreviewError("give both --tls-cert and --tls-key, or neither")
    tls = tls_cert is not None
    message = exposure_warning(host, tls=tls, behind_proxy=behind_proxy)
    if message:
        warn(message)
    project = Project.open(project_dir)
    try:
        # build the ranking's text features now, not on the first reviewers' requests
        from alsreview.screening.ranking import project_ranker

        project_ranker(project)
        app = create_app(project, secure_cookies=tls or behind_proxy)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=workers_log_level,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            proxy_headers=behind_proxy,
            forwarded_allow_ips="127.0.0.1" if behind_proxy else None,
        )
    finally:
        project.close()
