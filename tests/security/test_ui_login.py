"""Issue 19, finding 8: the documented login in front of the UI (deploy/nginx-ui.conf,
docs/security.md) works with a real nginx from Debian and a real `streamlit run`."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from backend.core.config import PROJECT_ROOT
from bench.server import free_port, wait_until
from tests.utils.processes import ui_server

CONF = PROJECT_ROOT / "deploy" / "nginx-ui.conf"


def _ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _server_block(port: int, upstream: str, htpasswd: Path) -> str:
    """The documented server block with this test's ports and password file."""
    text = CONF.read_text()
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("/etc/nginx/sift.htpasswd", str(htpasswd))
    return text.replace("http://127.0.0.1:8501", upstream)


def _upgrade(port: int, auth: str) -> str:
    """A WebSocket handshake through nginx; the first status line."""
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Basic {auth}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(1024).decode(errors="replace").splitlines()[0]


@pytest.mark.slow
def test_the_ui_behind_nginx_basic_auth(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).is_file():
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light; "
                    ".ci/setup-services.sh does it)")
    htpasswd = tmp_path / "sift.htpasswd"
    htpasswd.write_text(f"alice:{_ssha('correct horse')}\n")
    with ui_server(tmp_path, "http://127.0.0.1:9") as ui_url:
        port = free_port()
        temp = tmp_path / "nginx"
        temp.mkdir()
        user = "user root;\n" if os.geteuid() == 0 else ""
        (tmp_path / "nginx.conf").write_text(
            f"{user}daemon off;\npid {temp}/nginx.pid;\nerror_log {temp}/error.log;\n"
            "events {}\nhttp {\n"
            f"  access_log off;\n  client_body_temp_path {temp}/body;\n"
            f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            f"{_server_block(port, ui_url, htpasswd)}\n}}\n")
        proc = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(temp)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}"
            with pytest.raises(TimeoutError):  # without a password nothing answers 200
                wait_until(f"{url}/_stcore/health", proc, 3.0)
            assert httpx.get(f"{url}/").status_code == 401
            assert httpx.get(f"{url}/", auth=("alice", "wrong")).status_code == 401
            page = httpx.get(f"{url}/", auth=("alice", "correct horse"))
            assert page.status_code == 200 and "<html" in page.text.lower()
            health = httpx.get(f"{url}/_stcore/health", auth=("alice", "correct horse"))
            assert health.status_code == 200 and health.text.strip() == "ok"
            good = base64.b64encode(b"alice:correct horse").decode()
            assert " 101 " in _upgrade(port, good)
            assert " 401 " in _upgrade(port, base64.b64encode(b"alice:nope").decode())
        finally:
            proc.terminate()
            proc.wait(timeout=10)
