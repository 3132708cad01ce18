"""`sift serve`: the API (and the UI) as child processes until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer

from backend.core.config import PROJECT_ROOT


def api_command(host: str, port: int) -> list[str]:
    """The uvicorn command line of the API. Trusted proxies: FORWARDED_ALLOW_IPS, in the
    app. No uvicorn access log: it writes query strings (a token sent as `?token=`) in
    clear; the app's own access line (sift.access) logs the path only."""
    return [sys.executable, "-m", "uvicorn", "backend.api.main:create_app", "--factory",
            "--host", host, "--port", str(port), "--timeout-keep-alive", "75",
            "--no-proxy-headers", "--no-access-log"]


def serve_cmd(
    api_port: Annotated[int, typer.Option()] = 8000,
    ui_port: Annotated[int, typer.Option()] = 8501,
    host: Annotated[str, typer.Option(help="listen address; 0.0.0.0 only where the network "
                                           "is explicit (Docker)")] = "127.0.0.1",
    ui: Annotated[bool, typer.Option(help="start the Streamlit UI too")] = True,
) -> None:
    """Start the API (and the UI) and keep them running until Ctrl-C."""
    commands = [api_command(host, api_port)]
    ui_app = PROJECT_ROOT / "frontend" / "app.py"
    if ui and ui_app.is_file():
        env_api = os.environ.setdefault("SIFT_API_URL", f"http://127.0.0.1:{api_port}")
        commands.append([sys.executable, "-m", "streamlit", "run", str(ui_app),
                         "--server.port", str(ui_port), "--server.address", host,
                         "--server.headless", "true", "--browser.gatherUsageStats", "false"])
        typer.echo(f"UI  -> http://localhost:{ui_port} (API {env_api})")
    typer.echo(f"API -> http://localhost:{api_port}  (Swagger: /docs)")
    procs = [subprocess.Popen(cmd, cwd=PROJECT_ROOT) for cmd in commands]
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
