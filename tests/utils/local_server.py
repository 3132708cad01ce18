"""The life cycle the HTTP test doubles share: a real `ThreadingHTTPServer` on 127.0.0.1 in
a daemon thread, stoppable and startable again on the same port (a peer that is down for a
while, then back)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalHTTPServer:
    """Subclasses give `handler_class()`; `port` 0 takes a free port at the first start."""

    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        """Listen (again on the same port after `stop()`, so clients keep their endpoint)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port: clients get connection refused until `start()` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
