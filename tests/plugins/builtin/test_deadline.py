"""The overall deadline, size cap and network failures over real sockets (a server on 127.0.0.1 per test).

respx replaces the transport, so it cannot show that a server dripping one byte at a time is cut off: per-read
timeouts never fire when every read returns something. These tests start a real server that misbehaves.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plugins.base_provider import ErrorKind
from plugins.builtin.openai_compatible_provider import OpenAICompatiblePlugin

from .conftest import API_KEY, BUILTINS, openai_completion, provider_config

GENERIC = next(b for b in BUILTINS if b.plugin is OpenAICompatiblePlugin)
DRIP_INTERVAL = 0.3


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self):
        behaviour = self.path.strip("/").split("/")[0]
        try:
            getattr(self, f"_{behaviour}")()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, which is what these tests want

    def _ok(self):
        self._send(200, json.dumps(openai_completion("Over a real socket.")).encode())

    def _drip_body(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "16")
        self.end_headers()
        # Finite, so that without the deadline the call would end late (and this test fail) rather than hang.
        self._drip(b'{"choices": []} ')

    def _drip_headers(self):
        self._drip(b"HTTP/1.1 200 OK\r\n")

    def _hang(self):
        self.server.stopping.wait(30)

    def _huge(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 65536
        for _ in range(320):  # 20 MB, never announced in advance
            if self.server.stopping.is_set():
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.server.huge_chunks_sent += 1
        self.wfile.write(b"0\r\n\r\n")

    def _drip(self, data: bytes):
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            if self.server.stopping.wait(DRIP_INTERVAL):
                return

    def _send(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stopping = threading.Event()
        self.huge_chunks_sent = 0

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{behaviour}/v1"


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.stopping.set()
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def call(base_url: str, timeout: float = 1):
    provider = GENERIC.plugin.create_provider(provider_config(GENERIC, base_url=base_url, timeout=timeout))
    assert provider.initialize()
    started = time.monotonic()
    try:
        result = provider.generate_message("Be brief.", "Say something.")
    finally:
        provider.close()
    return provider, result, time.monotonic() - started


def test_a_real_server_answer_is_read(server):
    provider, result, _ = call(server.url("ok"), timeout=5)

    assert result is not None and result.content == "Over a real socket."
    assert provider.last_error is None


def test_a_body_dripping_one_byte_at_a_time_is_cut_off_at_the_deadline(server):
    provider, result, elapsed = call(server.url("drip_body"), timeout=1)

    assert result is None
    assert provider.last_error.kind == ErrorKind.TIMEOUT
    assert elapsed < 3, f"the call took {elapsed:.1f}s despite a 1s deadline"


def test_headers_dripping_one_byte_at_a_time_are_cut_off_at_the_deadline(server):
    provider, result, elapsed = call(server.url("drip_headers"), timeout=1)

    assert result is None
    assert provider.last_error.kind == ErrorKind.TIMEOUT
    assert elapsed < 3, f"the call took {elapsed:.1f}s despite a 1s deadline"


def test_a_server_that_accepts_and_never_answers_times_out(server):
    provider, result, elapsed = call(server.url("hang"), timeout=1)

    assert result is None
    assert provider.last_error.kind == ErrorKind.TIMEOUT
    assert elapsed < 3


def test_a_20_mb_body_is_refused_without_being_read(server, settings):
    settings.AITICKER_MAX_RESPONSE_BYTES = 100_000

    provider, result, _ = call(server.url("huge"), timeout=10)

    assert result is None
    assert provider.last_error.kind == ErrorKind.TOO_LARGE


def test_connection_refused_is_connect():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket closes

    provider, result, _ = call(f"http://127.0.0.1:{port}/v1", timeout=5)

    assert result is None
    assert provider.last_error.kind == ErrorKind.CONNECT
    assert API_KEY not in provider.last_error.message
