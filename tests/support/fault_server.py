"""A real HTTP server on 127.0.0.1 that misbehaves on request, for fault tests and benchmarks.

respx fakes httpx at the transport; these faults need real sockets (a server that accepts and never answers, a
body that drips one byte per second, 20 MB on the wire), so the tests start this server themselves and stop it.

Each behaviour has its own base URL, ``http://127.0.0.1:PORT/<behaviour>/v1``, shaped like an OpenAI-compatible
API (``POST …/chat/completions``, ``GET …/models``), so a provider row just points its base_url at one.
Behaviours: ``ok``, ``slow<ms>`` (answers after <ms>), ``hang``, ``drip``, ``status<code>``, ``ratelimit``
(429 with a day-long Retry-After), ``unauthorized``, ``echoauth`` (401 echoing the Authorization header),
``badjson``, ``wrongshape``, ``huge`` (20 MB, announced in Content-Length), ``hugestream`` (20 MB chunked, no
length announced, so only a cap while reading can stop it), ``notutf8``, ``empty``.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUGE_BODY_BYTES = 20 * 1024 * 1024
_CHUNK = b"x" * 65536


def free_port() -> int:
    """A port with nothing listening on it (for "connection refused")."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: Words of the ``ok`` answers: each answer is a different random sentence, so the ticker's near-duplicate
#: check (a fuzzy ratio) accepts consecutive answers, as it would a real model's.
_WORDS = (
    "amber badger canyon drizzle ember falcon glacier harbor island jasmine kettle lantern meadow nebula orchid "
    "pebble quartz river saffron thistle umbrella velvet willow xylophone yonder zephyr anchor biscuit comet "
    "dune echo fjord granite hollow ivory juniper kelp lagoon marble nutmeg opal prairie quill ripple summit"
).split()


def fresh_text(number: int) -> str:
    """The ``ok`` route's answer number ``number``: deterministic, and unlike its neighbours."""
    words = random.Random(number).sample(_WORDS, 9)
    return f"Message {number}: {' '.join(words)}."


def completion(content: str, model: str = "fault-model") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, a kept-alive connection waits for
    # the client's delayed ACK (~40 ms) before the body, which no real API server does.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._dispatch(listing=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._dispatch(listing=False)

    def _dispatch(self, *, listing: bool) -> None:
        behaviour = self.path.strip("/").split("/", 1)[0]
        self.server.record(behaviour, self.command, self.path, dict(self.headers))
        if behaviour == "hang":
            self.server.stopping.wait()
            return
        if behaviour == "drip":
            self._drip()
            return
        if match := re.fullmatch(r"slow(\d+)", behaviour):
            if self.server.stopping.wait(int(match.group(1)) / 1000):
                return
            behaviour = "ok"
        if match := re.fullmatch(r"status(\d{3})", behaviour):
            self._send(int(match.group(1)), b'{"error": {"message": "injected failure"}}')
        elif behaviour == "ratelimit":
            self._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "86400"})
        elif behaviour == "unauthorized":
            self._send(401, b'{"error": {"message": "invalid api key"}}')
        elif behaviour == "echoauth":
            echoed = json.dumps({"error": {"message": f"bad credentials: {self.headers.get('Authorization')}"}})
            self._send(401, echoed.encode())
        elif listing:
            self._send(200, b'{"object": "list", "data": [{"id": "fault-model"}]}')
        elif behaviour == "ok":
            content = fresh_text(next(self.server.counter))
            self._send(200, json.dumps(completion(content)).encode())
        elif behaviour == "badjson":
            self._send(200, b'{"choices": [ this is not json')
        elif behaviour == "wrongshape":
            self._send(200, b'{"result": {"text": "no choices here"}}')
        elif behaviour == "notutf8":
            self._send(200, b'{"choices": [{"message": {"content": "\xff\xfe\xfa broken"}}]}')
        elif behaviour == "empty":
            self._send(200, json.dumps(completion("")).encode())
        elif behaviour == "huge":
            self._huge()
        elif behaviour == "hugestream":
            self._huge(chunked=True)
        else:
            self._send(404, b'{"error": {"message": "unknown behaviour"}}')

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up first, which is what several faults provoke
            pass

    def _drip(self) -> None:
        body = json.dumps(completion("dripped one byte at a time")).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.stopping.wait(self.server.drip_interval):
                    return
        except OSError:
            pass

    def _huge(self, chunked: bool = False) -> None:
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(HUGE_BODY_BYTES))
            self.end_headers()
            while sent < HUGE_BODY_BYTES and not self.server.stopping.is_set():
                chunk = _CHUNK[: HUGE_BODY_BYTES - sent]
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
                sent += len(chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        finally:  # counted even when the client hung up: how much it let through is what tests check
            self.server.huge_bytes_sent = max(self.server.huge_bytes_sent, sent)


class FaultServer(ThreadingHTTPServer):
    """Start with ``with FaultServer() as server:``; ``server.url("hang")`` is a provider base_url."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, drip_interval: float = 1.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.drip_interval = drip_interval
        self.stopping = threading.Event()
        self.counter = itertools.count(1)
        self.requests: list[tuple[str, str, str, dict[str, str]]] = []
        self.huge_bytes_sent = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="fault-server", daemon=True)

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{behaviour}/v1"

    def record(self, behaviour: str, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((behaviour, method, path, headers))

    def requests_for(self, behaviour: str) -> list[tuple[str, str, str, dict[str, str]]]:
        with self._lock:
            return [r for r in self.requests if r[0] == behaviour]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
