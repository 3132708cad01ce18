"""`sift serve`: the API (and the UI) as child processes until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from backend.core.config import PROJECT_ROOT
from backend.core.credential import ensure_local_credential


def api_command(host: str, port: int) -> list[str]:
    """The uvicorn command line of the API. Trusted proxies: FORWARDED_ALLOW_IPS, in the
    app. No uvicorn access log: it writes query strings (a token sent as `?token=`) in
    clear; the app's own access line (sift.access) logs the path only."""
    return [sys.executable, "-m", "uvicorn", "backend.api.main:create_app", "--factory",
            "--host", host, "--port", str(port), "--timeout-keep-alive", "75",
            "--no-proxy-headers", "--no-access-log"]


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve_cmd(
    api_port: Annotated[int, typer.Option()] = 8000,
    ui_port: Annotated[int, typer.Option()] = 8501,
    host: Annotated[str, typer.Option(help="listen address; 0.0.0.0 only where the network "
                                           "is explicit (Docker)")] = "127.0.0.1",
    ui: Annotated[bool, typer.Option(help="start the Streamlit UI too")] = True,
) -> None:
    """Start the API (and the UI) and keep them running until Ctrl-C."""
    commands = [api_command(host, api_port)]
    workdir = Path.cwd()  # where `.env` is read (by every setting) and, on first run, written
    token, created = ensure_local_credential(workdir / ".env", host)
    if created:
        typer.echo("created a local admin credential in .env (API_TOKEN): the API and the UI "
                   "share it; send it as 'Authorization: Bearer <API_TOKEN>'")
    elif token is None:
        typer.echo("no API_TOKEN set: feedback and admin calls are refused until one is "
                   "(a listening address other than 127.0.0.1 never gets one automatically)")
    ui_app = PROJECT_ROOT / "frontend" / "app.py"
    if ui and ui_app.is_file():
        env_api = os.environ.setdefault("SIFT_API_URL", f"http://127.0.0.1:{api_port}")
        if token and not (os.environ.get("SIFT_API_TOKEN") or os.environ.get("SIFT_WRITER_TOKEN")):
            os.environ["SIFT_API_TOKEN"] = token  # the UI's feedback buttons use it
        commands.append([sys.executable, "-m", "streamlit", "run", str(ui_app),
                         "--server.port", str(ui_port), "--server.address", host,
                         "--server.headless", "true", "--browser.gatherUsageStats", "false"])
        typer.echo(f"UI  -> http://localhost:{ui_port} (API {env_api})")
    typer.echo(f"API -> http://localhost:{api_port}  (Swagger: /docs)")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the children too, as Ctrl-C does
    procs = [subprocess.Popen(cmd, cwd=workdir) for cmd in commands]
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    sys.exit(max((p.returncode or 0) for p in procs))
