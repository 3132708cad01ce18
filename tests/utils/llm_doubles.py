"""Local HTTP servers that speak the Gemini and OpenAI chat wire formats.

Each double is a real `ThreadingHTTPServer` on 127.0.0.1 (random port) so the
providers are exercised through their real HTTP clients. A test scripts a queue
of behaviours (one per request received) and afterwards inspects the requests
the double recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Behaviour:
    """What the double does for one request.

    `text` is the model's answer, wrapped in the provider's envelope; `raw`
    replaces the whole HTTP body (for malformed envelopes); `delay_s` sleeps
    before answering (longer than the client timeout makes it time out).
    """

    status: int = 200
    text: str | None = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drip_s: float = 0.0  # > 0: write the body one byte at a time, this long apart
    cut_after: int | None = None  # close the connection after this many body bytes


def answer(label: str, confidence: float = 0.9) -> Behaviour:
    """A well-formed answer carrying the label JSON the providers ask for."""
    return Behaviour(text=json.dumps({"label": label, "confidence": confidence}))


def text_answer(text: str) -> Behaviour:
    """A well-formed envelope whose answer text is `text` (e.g. not JSON at all)."""
    return Behaviour(text=text)


def off_label(label: str = "Banana Split", confidence: float = 0.99) -> Behaviour:
    """A confident answer naming a label outside the allowed set."""
    return answer(label, confidence)


def rate_limited(retry_after_s: float = 1.0) -> Behaviour:
    body = json.dumps({"error": {"code": 429, "message": "Resource exhausted",
                                 "status": "RESOURCE_EXHAUSTED"}}).encode()
    return Behaviour(status=429, raw=body, headers={"Retry-After": f"{retry_after_s:g}"})


def server_error(status: int = 500) -> Behaviour:
    body = json.dumps({"error": {"code": status, "message": "Internal error",
                                 "status": "INTERNAL"}}).encode()
    return Behaviour(status=status, raw=body)


def malformed_body(body: bytes = b"<html>502 Bad Gateway... just kidding, 200</html>"
                   ) -> Behaviour:
    """HTTP 200 whose body is not the provider's JSON envelope."""
    return Behaviour(raw=body, headers={"Content-Type": "text/html"})


def drip(drip_s: float = 0.05, label: str = "Error") -> Behaviour:
    """A correct answer sent one byte at a time: no single read ever times out."""
    return Behaviour(text=json.dumps({"label": label, "confidence": 0.9}), drip_s=drip_s)


def truncated(cut_after: int = 20, label: str = "Error") -> Behaviour:
    """Headers promise the whole body; the connection closes after `cut_after` bytes."""
    return Behaviour(text=json.dumps({"label": label, "confidence": 0.9}), cut_after=cut_after)


def slow(delay_s: float, label: str = "Error") -> Behaviour:
    """Answer correctly, but only after `delay_s` seconds."""
    return Behaviour(text=json.dumps({"label": label, "confidence": 0.9}), delay_s=delay_s)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class LLMDouble:
    """Base: a scripted server; subclasses say which paths exist and how to wrap text."""

    def __init__(self, default: Behaviour | None = None) -> None:
        self.default = default or server_error(500)
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name=f"{type(self).__name__}-server")

    # --- to override ---
    def accepts(self, method: str, path: str) -> bool:
        raise NotImplementedError

    def envelope(self, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def direct(self, path: str, body: bytes) -> dict[str, Any] | None:
        """An answer that bypasses the script (e.g. embeddings); None: use the script."""
        return None

    # --- public API ---
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *behaviours: Behaviour) -> Self:
        """Queue behaviours, one per incoming request; `default` once the queue is empty."""
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- internals ---
    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:  # keep test output quiet
                return

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with double._lock:
                    double.requests.append(RecordedRequest(self.command, self.path, headers, body))
                if not double.accepts(self.command, self.path):
                    self._send(404, json.dumps({"error": {"code": 404, "message":
                                                          f"no route {self.path}"}}).encode())
                    return
                direct = double.direct(self.path.split("?")[0], body)
                if direct is not None:
                    self._send(200, json.dumps(direct).encode())
                    return
                behaviour = double._next()
                if behaviour.delay_s:
                    time.sleep(behaviour.delay_s)
                if behaviour.raw is not None:
                    payload = behaviour.raw
                else:
                    payload = json.dumps(double.envelope(behaviour.text or "")).encode()
                self._send(behaviour.status, payload, behaviour.headers, behaviour)

            def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None,
                      behaviour: Behaviour | None = None) -> None:
                headers = dict(headers or {})
                try:
                    self.send_response(status)
                    self.send_header("Content-Type",
                                     headers.pop("Content-Type", "application/json"))
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if behaviour is not None and behaviour.cut_after is not None:
                        self.wfile.write(payload[: behaviour.cut_after])
                        self.close_connection = True
                    elif behaviour is not None and behaviour.drip_s > 0:
                        for i in range(len(payload)):
                            self.wfile.write(payload[i:i + 1])
                            self.wfile.flush()
                            time.sleep(behaviour.drip_s)
                    else:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        return Handler


_GEMINI_PATH = re.compile(r"^/v1(?:beta\d*)?/models/(?P<model>[^/:]+):generateContent$")
_GEMINI_EMBED = re.compile(r"^/v1(?:beta\d*)?/models/[^/:]+:batchEmbedContents$")


def fake_embedding(text: str, dim: int) -> list[float]:
    """Deterministic, text-dependent vector (not unit norm, so normalising is visible)."""
    raw = b"".join(hashlib.sha256(f"{text}#{i}".encode()).digest() for i in range(dim // 32 + 1))
    return [(byte - 127.5) / 10 for byte in raw[:dim]]


class GeminiDouble(LLMDouble):
    """`POST /v1[beta]/models/<model>:generateContent` (scripted) and
    `:batchEmbedContents` (deterministic vectors), as google-genai sends them."""

    def accepts(self, method: str, path: str) -> bool:
        path = path.split("?")[0]
        return method == "POST" and bool(_GEMINI_PATH.match(path) or _GEMINI_EMBED.match(path))

    def direct(self, path: str, body: bytes) -> dict[str, Any] | None:
        if not _GEMINI_EMBED.match(path):
            return None
        requests = json.loads(body)["requests"]
        return {"embeddings": [
            {"values": fake_embedding(" ".join(p["text"] for p in r["content"]["parts"]),
                                      int(r.get("outputDimensionality") or 768))}
            for r in requests]}

    def envelope(self, text: str) -> dict[str, Any]:
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                "finishReason": "STOP", "index": 0}],
                "modelVersion": "double"}

    @staticmethod
    def model_of(request: RecordedRequest) -> str | None:
        match = _GEMINI_PATH.match(request.path.split("?")[0])
        return match["model"] if match else None


class OpenAIDouble(LLMDouble):
    """`POST /v1/chat/completions`, the OpenAI-compatible chat API (Ollama, vLLM, ...)."""

    def accepts(self, method: str, path: str) -> bool:
        return method == "POST" and path.split("?")[0] == "/v1/chat/completions"

    def envelope(self, text: str) -> dict[str, Any]:
        return {"id": "chatcmpl-double", "object": "chat.completion", "model": "double",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}

    @property
    def base_url(self) -> str:
        """What `OPENAI_BASE_URL` should be set to."""
        return f"{self.url}/v1"
