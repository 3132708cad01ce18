"""A local HTTP server that speaks the Hugging Face Hub endpoints our registry uses.

A real `ThreadingHTTPServer` on 127.0.0.1 (random port), so `huggingface_hub`
runs its real client code: create_repo, upload_folder (preupload -> ndjson
commit, every file "regular"), create_tag, list_repo_refs, repo_info,
list_repo_tree and snapshot_download (revision -> tree -> resolve). Repos are
kept in memory as commits (full file maps) plus branch and tag refs.

Faults a test can script: `token` (requests without `Bearer <token>` get 401),
`stop()` (connection refused), `fail_status` (every request answers it),
`delay_s` (a Hub that accepts connections but answers late), `tamper()`
(the bytes a tag serves change, the manifest in it does not), and `inject()`:
`429` (Too Many Requests with `Retry-After`), `truncate` (a file download announces its
full Content-Length, sends half the bytes and closes the connection) and `html` (an
API endpoint answers 200 with an HTML page instead of JSON), each for the next `times`
requests whose path contains `path` (`times=None`: until `clear_faults()`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from tests.utils.local_server import LocalHTTPServer


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Repo:
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        if revision in self.commits:
            return revision
        return self.branches.get(revision) or self.tags.get(revision)

    def commit(self, parent: str | None, files: dict[str, bytes], message: str) -> str:
        sha = hashlib.sha1(f"{parent}:{message}:{len(self.commits)}".encode()
                           + b"".join(sorted(files.values()))).hexdigest()
        self.commits[sha] = files
        self.branches["main"] = sha
        return sha


FaultKind = Literal["429", "truncate", "html"]


@dataclass
class Fault:
    kind: FaultKind
    path: str
    times: int | None  # None: every matching request until cleared
    retry_after_s: int = 1


class HubDouble(LocalHTTPServer):
    """In-memory Hub: `repos["ns/name"]` holds commits, branches and tags."""

    def __init__(self, token: str | None = "hf_test_token") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.fail_status: int | None = None
        self.delay_s = 0.0
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()  # taken inside `lock` while a route answers
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"hub": self})

    def tamper(self, repo_id: str, tag: str, path: str, data: bytes) -> None:
        """Serve other bytes for `path` at `tag` (a new commit the tag is moved to)."""
        with self.lock:
            repo = self.repos[repo_id]
            files = dict(repo.commits[repo.tags[tag]])
            files[path] = data
            sha = hashlib.sha1(b"tampered" + tag.encode() + data).hexdigest()
            repo.commits[sha] = files
            repo.tags[tag] = sha


    def inject(self, kind: FaultKind, *, times: int | None = None, path: str = "",
               retry_after_s: int = 1) -> None:
        """Answer the next `times` requests whose path contains `path` with fault `kind`."""
        with self._faults_lock:
            self.faults.append(Fault(kind, path, times, retry_after_s))

    def clear_faults(self) -> None:
        with self._faults_lock:
            self.faults.clear()

    def take_fault(self, kind: FaultKind, path: str) -> Fault | None:
        """The first live fault of `kind` matching `path`, counted as used."""
        with self._faults_lock:
            for fault in self.faults:
                if fault.kind == kind and fault.path in path and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    hub: HubDouble

    def log_message(self, *_: Any) -> None:  # keep test output quiet
        pass

    # --- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None, content_type: str | None = None) -> None:
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else b""
        if self.hub.delay_s:  # the client may have given up already
            self.close_connection = True
        self.send_response(status)
        content_type = content_type or ("application/octet-stream" if raw is not None
                                        else "application/json")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            path = urlsplit(self.path).path
            if "/resolve/" in path and self.hub.take_fault("truncate", path):
                data = data[:len(data) // 2]  # Content-Length already promised all of it
                self.close_connection = True
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": message},
                   {"X-Error-Code": code, "X-Error-Message": message} if code else
                   {"X-Error-Message": message})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _authorised(self) -> bool:
        if self.hub.token is None:
            return True
        return self.headers.get("Authorization") == f"Bearer {self.hub.token}"

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        self.hub.requests.append((self.command, path))
        time.sleep(self.hub.delay_s)
        if self.hub.fail_status is not None:
            self._error(self.hub.fail_status, "", "the Hub double is failing on purpose")
            return
        if fault := self.hub.take_fault("429", path):
            self._send(429, {"error": "rate limited"},
                       {"Retry-After": str(fault.retry_after_s)})
            return
        if path.startswith("/api/") and self.hub.take_fault("html", path):
            self._send(200, raw=b"<!DOCTYPE html><html><body><h1>We'll be right back"
                                b"</h1></body></html>", content_type="text/html")
            return
        if path == "/api/agent-harnesses":
            self._error(404, "", "not here")
            return
        if not self._authorised():
            self._error(401, "", "Invalid credentials in Authorization header")
            return
        with self.hub.lock:
            _route(self, path, query)

    do_GET = do_POST = do_HEAD = _dispatch  # noqa: N815


def _route(h: _Handler, path: str, query: dict[str, list[str]]) -> None:
    hub = h.hub
    if path == "/api/repos/create" and h.command == "POST":
        body = json.loads(h._body())
        repo_id = f"{body.get('organization') or 'user'}/{body['name']}"
        if repo_id in hub.repos:  # the Hub's 409 still carries the url (exist_ok reads it)
            h._send(409, {"error": "You already created this model repo",
                          "url": f"{hub.url}/{repo_id}"})
            return
        repo = hub.repos[repo_id] = Repo()
        repo.commit(None, {".gitattributes": b"*.safetensors filter=lfs\n"}, "initial commit")
        h._send(200, {"url": f"{hub.url}/{repo_id}"})
        return
    if path == "/api/validate-yaml":
        h._body()
        h._send(200, {"errors": [], "warnings": []})
        return
    if path == "/api/models":  # list_models(author=..., search=...)
        author, search = query.get("author", [""])[0], query.get("search", [""])[0]
        h._send(200, [{"id": r, "modelId": r, "private": True} for r in sorted(hub.repos)
                      if r.startswith(f"{author}/") and search in r.split("/", 1)[1]])
        return
    if path.startswith("/api/models/"):
        _route_api(h, path.removeprefix("/api/models/"), query)
        return
    segments = path.strip("/").split("/", 4)
    if len(segments) == 5 and segments[2] == "resolve":
        _resolve_file(h, f"{segments[0]}/{segments[1]}", segments[3], segments[4])
        return
    h._error(404, "", f"the Hub double does not implement {h.command} {path}")


def _route_api(h: _Handler, rest: str, query: dict[str, list[str]]) -> None:
    segments = rest.split("/")
    repo_id, action, args = "/".join(segments[:2]), segments[2:3], segments[3:]
    repo = h.hub.repos.get(repo_id)
    if repo is None:
        h._error(404, "RepoNotFound", f"Repository {repo_id} not found")
        return
    verb = action[0] if action else "info"
    if verb == "refs":
        h._send(200, {"branches": [_ref(n, "heads", s) for n, s in repo.branches.items()],
                      "tags": [_ref(n, "tags", s) for n, s in repo.tags.items()],
                      "converts": [], "pullRequests": []})
        return
    revision = args[0] if args else "main"
    sha = repo.resolve(revision)
    if sha is None:
        h._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return
    files = repo.commits[sha]
    if verb in ("info", "revision"):
        h._send(200, {"id": repo_id, "modelId": repo_id, "sha": sha, "private": True,
                      "siblings": [{"rfilename": p} for p in sorted(files)]})
    elif verb == "tree":
        h._send(200, [{"type": "file", "path": p, "size": len(d), "oid": git_blob_sha(d)}
                      for p, d in sorted(files.items())])
    elif verb == "preupload":
        wanted = json.loads(h._body())["files"]
        h._send(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                 "shouldIgnore": False,
                                 "oid": git_blob_sha(files[f["path"]])
                                 if f["path"] in files else None} for f in wanted]})
    elif verb == "commit":
        _commit(h, repo_id, repo, sha)
    elif verb == "tag":
        tag = json.loads(h._body())["tag"]
        if tag in repo.tags:
            h._error(409, "", f"Tag {tag} already exists")
            return
        repo.tags[tag] = sha
        h._send(200, {})
    else:
        h._error(404, "", f"the Hub double does not implement {verb}")


def _ref(name: str, kind: str, sha: str) -> dict[str, str]:
    return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": sha}


def _commit(h: _Handler, repo_id: str, repo: Repo, parent: str) -> None:
    files = dict(repo.commits[parent])
    summary = ""
    for line in h._body().splitlines():
        item = json.loads(line)
        key, value = item["key"], item["value"]
        if key == "header":
            summary = value["summary"]
        elif key == "file":
            files[value["path"]] = base64.b64decode(value["content"])
        elif key == "deletedFile":
            files.pop(value["path"], None)
        elif key == "deletedFolder":
            prefix = value["path"].rstrip("/") + "/"
            files = {p: d for p, d in files.items() if not p.startswith(prefix)}
        else:
            h._error(400, "", f"the Hub double does not accept {key} operations")
            return
    sha = repo.commit(parent, files, summary)
    h._send(200, {"commitUrl": f"{h.hub.url}/{repo_id}/commit/{sha}", "commitOid": sha,
                  "pullRequestUrl": None})


def _resolve_file(h: _Handler, repo_id: str, revision: str, file: str) -> None:
    repo = h.hub.repos.get(repo_id)
    if repo is None:
        h._error(404, "RepoNotFound", f"Repository {repo_id} not found")
        return
    sha = repo.resolve(revision)
    if sha is None:
        h._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return
    data = repo.commits[sha].get(file)
    if data is None:
        h._error(404, "EntryNotFound", f"{file} does not exist at {revision}")
        return
    h._send(200, raw=data, headers={"X-Repo-Commit": sha, "ETag": f'"{git_blob_sha(data)}"'})
