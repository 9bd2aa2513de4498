"""CLI of the web app: `serve` and `user add` / `user list`.

alsreview serve PROJECT_DIR [--host 127.0.0.1] [--port 8000] [--workers N]
alsreview user add PROJECT_DIR NAME --role owner|reviewer [--password-stdin]
alsreview user list PROJECT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the web commands to the main app."""

    @app.command("serve")
    def serve_command(
        project: Path = typer.Argument(..., help="Project folder (made by `alsreview init`)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", help="Port to listen on."),
        workers: int | None = typer.Option(
            None,
            "--workers",
            help="Server processes (default: one per CPU core, at most 4).",
        ),
        behind_proxy: bool = typer.Option(
            False,
            "--behind-proxy",
            help="A TLS-terminating reverse proxy (nginx, caddy) forwards to this server: "
            "cookies are marked Secure.",
        ),
        tls_cert: Path | None = typer.Option(None, "--tls-cert", help="TLS certificate (PEM)."),
        tls_key: Path | None = typer.Option(None, "--tls-key", help="TLS private key (PEM)."),
    ) -> None:
        """Serve the web app for a review team (screening, conflicts, appraisal, extraction)."""
        from alsreview.web.server import serve

        serve(
            project,
            host=host,
            port=port,
            workers=workers,
            behind_proxy=behind_proxy,
            tls_cert=tls_cert,
            tls_key=tls_key,
            warn=lambda m: typer.echo(f"warning: {m}", err=True),
        )

    user_app = typer.Typer(help="Web accounts of a project.", no_args_is_help=True)
    app.add_typer(user_app, name="user")

    @user_app.command("add")
    def user_add(
        project: Path = typer.Argument(..., help="Project folder."),
        name: str = typer.Argument(..., help="Login name."),
        role: str = typer.Option(..., "--role", help="owner or reviewer."),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="Read the password from the first line of stdin."
        ),
    ) -> None:
        """Add a web account; the password is asked for (or read from stdin)."""
        from alsreview.store import Project
        from alsreview.web.accounts import add_user

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        with Project.open(project) as p:
            user = add_user(p, name, role, password)
        typer.echo(f"user {user.name} ({user.role}) added")

    @user_app.command("list")
    def user_list(project: Path = typer.Argument(..., help="Project folder.")) -> None:
        """List the web accounts and their roles."""
        from alsreview.store import Project
        from alsreview.web.accounts import list_users

        with Project.open(project) as p:
            for u in list_users(p):
                typer.echo(f"{u.name}\t{u.role}")
