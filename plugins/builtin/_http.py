"""The one HTTP layer every builtin provider calls through: deadline, size cap, error mapping, one retry.

Why one place: an unattended ticker meets every way an HTTP API can fail, and each failure must end as a
``CallError`` with the right kind within the call's time budget. Keeping the rules here means the seven
OpenAI-compatible plugins, Anthropic and Gemini behave identically, and this is the *only* retry layer in the
project (the provider runtime does not retry, and the httpx transport is built with ``retries=0``), so a
provider is never hit ``retries × retries`` times.

Failures are raised as :class:`ProviderCallError`; the provider classes turn them into ``last_error`` and
return ``None``, as the plugin contract requires.
"""

from __future__ import annotations

import contextvars
import email.utils
import json as jsonlib
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpcore
import httpx

from plugins.base_provider import CallError, ErrorKind

logger = logging.getLogger(__name__)

#: Used when Django settings are not configured (the SDK and builtins stay usable in a plain script).
DEFAULT_MAX_RESPONSE_BYTES = 2_000_000
#: How much of an error body is read for the excerpt shown to operators; the rest is never downloaded.
ERROR_BODY_BYTES = 8_192
ERROR_EXCERPT_CHARS = 200
#: Pause before the single retry of a 429 that gave no Retry-After. A 5xx without Retry-After is retried at
#: once: a failing backend behind a load balancer is often replaced by the next request, and a tick with a
#: fallback provider must not sit out a pause (the next provider is the real backoff).
RETRY_BACKOFF_SECONDS = 0.5
#: A retry is only worth making when, after waiting, at least this much of the deadline is left for it.
MIN_RETRY_BUDGET_SECONDS = 0.5

# The deadline of the call running in this thread (or task), read by the network backend below on every
# socket operation. A context variable rather than an argument because httpcore gives the backend no way to
# know which request an operation belongs to, and pooled connections outlive any single request.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("aiticker_http_deadline", default=None)

# Indirection so tests can observe (and skip) the pause before a retry without patching ``time`` globally.
_sleep = time.sleep


class ProviderCallError(Exception):
    """A failed call, carrying the ``CallError`` the provider will expose as ``last_error``."""

    def __init__(self, error: CallError):
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Outcome:
    """A successful (2xx) HTTP exchange: status and body, the body already size-capped."""

    status_code: int
    body: bytes


def max_response_bytes() -> int:
    """The response-size cap, read lazily so that tests and a standalone SDK both work."""
    try:
        from django.conf import settings

        value = getattr(settings, "AITICKER_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES)
    except Exception:  # django missing or settings not configured: the SDK is being used on its own
        return DEFAULT_MAX_RESPONSE_BYTES
    return int(value)


def scrub(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text`` with ``***``.

    Servers echo request headers back in error bodies surprisingly often, so any text that may reach a log or
    the database passes through here. The URL-encoded spelling is covered too.
    """
    if not text or not secret:
        return text
    for spelling in {secret, quote(secret, safe="")}:
        text = text.replace(spelling, "***")
    return text


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


# --- transport ----------------------------------------------------------------------------------------------


def _bounded(timeout: float | None, exc_class: type[Exception]) -> float | None:
    """Shrink a socket operation's timeout to what is left of the current call's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise exc_class("the call's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """Bounds every read and write by the call's deadline, so a server that drips its status line or
    headers one byte at a time cannot hold a call beyond its budget (per-read timeouts alone never fire)."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._backend.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        stream = self._backend.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport with no connection retries and every socket operation bounded by the deadline."""

    def __init__(self, **kwargs: Any):
        kwargs["retries"] = 0
        super().__init__(**kwargs)
        # httpx offers no public hook for the network backend; if its internals move, calls keep the deadline
        # checks between body chunks and per-operation timeouts bounded by the remaining time.
        pool = getattr(self, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None:
            pool._network_backend = _DeadlineBackend(backend)


def build_client(base_url: str, headers: Mapping[str, str], timeout: float) -> httpx.Client:
    """An httpx client for one provider: base URL, default headers, the deadline-aware transport."""
    return httpx.Client(
        base_url=base_url,
        headers={str(k): str(v) for k, v in headers.items()},
        timeout=timeout,
        transport=DeadlineTransport(),
        follow_redirects=False,
    )


# --- one call -----------------------------------------------------------------------------------------------


def request_json(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    timeout: float,
    secret: str = "",
    json: Any = None,
    retry: bool = True,
    label: str = "",
) -> dict[str, Any]:
    """Send one request (at most one retry) and return the response's JSON object.

    Raises :class:`ProviderCallError` for every failure: HTTP status, network, deadline, size, encoding and
    a body that is not a JSON object. ``timeout`` is the budget for the whole call, retry included.
    """
    outcome = send(client, method, path, timeout=timeout, secret=secret, json=json, retry=retry, label=label)
    return decode_json_object(outcome.body)


def send(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    timeout: float,
    secret: str = "",
    json: Any = None,
    retry: bool = True,
    read_body: bool = True,
    label: str = "",
) -> Outcome:
    """Send one request within an overall deadline of ``timeout`` seconds, retrying once on 429/5xx.

    ``read_body=False`` is for probes (health checks): the status is all that matters, so a large listing is
    never downloaded. ``label`` names the provider in log lines.
    """
    deadline = time.monotonic() + float(timeout)
    retried = False
    while True:
        try:
            return _send_once(client, method, path, deadline, timeout, secret, json, read_body)
        except ProviderCallError as exc:
            error = exc.error
            if not retry or retried or error.kind not in ErrorKind.RETRYABLE:
                raise
            if error.retry_after is not None:
                wait = error.retry_after
            else:
                wait = RETRY_BACKOFF_SECONDS if error.kind == ErrorKind.RATE_LIMITED else 0.0
            remaining = deadline - time.monotonic()
            if wait + MIN_RETRY_BUDGET_SECONDS > remaining:
                logger.info(
                    "provider=%s no retry after %s: waiting %.1fs would not fit the %.1fs left of the deadline",
                    label or client.base_url,
                    error.kind,
                    wait,
                    max(remaining, 0.0),
                )
                raise
            logger.info("provider=%s retrying once after %s in %.1fs", label or client.base_url, error.kind, wait)
            if wait > 0:
                _sleep(wait)
            retried = True


def _send_once(
    client: httpx.Client,
    method: str,
    path: str,
    deadline: float,
    timeout: float,
    secret: str,
    json: Any,
    read_body: bool,
) -> Outcome:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProviderCallError(CallError(ErrorKind.TIMEOUT, f"no answer within the {timeout:g}s deadline"))
    with _deadline_scope(deadline):
        try:
            with client.stream(method, path, json=json, timeout=httpx.Timeout(remaining)) as response:
                if not response.is_success:
                    excerpt = _read_capped(response, deadline, timeout, ERROR_BODY_BYTES, truncate=True)
                    raise ProviderCallError(status_error(response, excerpt, secret))
                body = _read_capped(response, deadline, timeout, max_response_bytes()) if read_body else b""
                return Outcome(response.status_code, body)
        except httpx.TimeoutException:
            raise ProviderCallError(
                CallError(ErrorKind.TIMEOUT, f"no complete answer within the {timeout:g}s deadline")
            ) from None
        except httpx.ConnectError as exc:
            raise ProviderCallError(
                CallError(ErrorKind.CONNECT, scrub(f"could not connect: {exc or type(exc).__name__}", secret))
            ) from None
        except httpx.UnsupportedProtocol as exc:
            raise ProviderCallError(CallError(ErrorKind.CLIENT_ERROR, scrub(f"bad base URL: {exc}", secret))) from None
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            raise ProviderCallError(
                CallError(ErrorKind.BAD_RESPONSE, scrub(f"the server broke the HTTP protocol: {exc}", secret))
            ) from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise ProviderCallError(
                CallError(ErrorKind.CONNECT, scrub(f"network error: {exc or type(exc).__name__}", secret))
            ) from None


@contextmanager
def _deadline_scope(deadline: float) -> Iterator[None]:
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def _read_capped(
    response: httpx.Response, deadline: float, timeout: float, limit: int, truncate: bool = False
) -> bytes:
    """Read the body chunk by chunk, stopping at ``limit`` bytes and at the deadline.

    With ``truncate`` the first ``limit`` bytes are returned (error excerpts); otherwise an oversized body is a
    TOO_LARGE failure, decided from Content-Length when the server sends it, before anything is read.
    """
    too_large = CallError(ErrorKind.TOO_LARGE, f"response larger than {limit} bytes; refused without reading it")
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise ProviderCallError(too_large)
    body = bytearray()
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise ProviderCallError(
                CallError(ErrorKind.TIMEOUT, f"no complete answer within the {timeout:g}s deadline")
            )
        body += chunk
        if len(body) > limit:
            if truncate:
                return bytes(body[:limit])
            raise ProviderCallError(too_large)
    return bytes(body)


# --- interpreting answers -----------------------------------------------------------------------------------


def status_error(response: httpx.Response, body: bytes, secret: str = "") -> CallError:
    """Map a non-2xx response to the CallError operators see (the key scrubbed from any echoed text)."""
    status = response.status_code
    excerpt = error_excerpt(body)
    detail = f": {excerpt}" if excerpt else ""
    retry_after = None
    if status in (401, 403):
        kind, message = ErrorKind.AUTH, f"HTTP {status}, check the API key{detail}"
    elif status == 429:
        retry_after = _retry_after_from(response.headers)
        hint = f" (retry after {retry_after:g}s)" if retry_after is not None else ""
        kind, message = ErrorKind.RATE_LIMITED, f"HTTP 429, rate limited{hint}{detail}"
    elif status >= 500:
        retry_after = _retry_after_from(response.headers)  # a 503 may say when to come back (RFC 9110)
        kind, message = ErrorKind.SERVER_ERROR, f"HTTP {status}, server error{detail}"
    elif 300 <= status < 400:
        location = response.headers.get("location", "?")
        kind, message = ErrorKind.CLIENT_ERROR, f"HTTP {status}, unexpected redirect to {location}; check the base URL"
    else:
        kind, message = ErrorKind.CLIENT_ERROR, f"HTTP {status}{detail}"
    return CallError(kind=kind, message=scrub(message, secret), status_code=status, retry_after=retry_after)


def _retry_after_from(headers: httpx.Headers) -> float | None:
    # OpenAI-style APIs also send the delay in milliseconds; it is more precise when present.
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = None
        if value is not None and math.isfinite(value):
            return max(0.0, value)
    return parse_retry_after(headers.get("retry-after"))


def error_excerpt(body: bytes, limit: int = ERROR_EXCERPT_CHARS) -> str:
    """A short one-line excerpt of an error body: the API's own error message when it has one."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = jsonlib.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            text = error["message"]
        elif isinstance(error, str):
            text = error
        elif isinstance(data.get("message"), str):
            text = data["message"]
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode_json_object(body: bytes) -> dict[str, Any]:
    """Strictly decode a UTF-8 JSON object; anything else is a BAD_RESPONSE."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProviderCallError(
            CallError(ErrorKind.BAD_RESPONSE, f"response is not UTF-8 text (byte {exc.start})")
        ) from None
    try:
        data = jsonlib.loads(text)
    except ValueError as exc:
        reason = f"line {exc.lineno} column {exc.colno}" if isinstance(exc, jsonlib.JSONDecodeError) else str(exc)
        raise ProviderCallError(CallError(ErrorKind.BAD_RESPONSE, f"response is not valid JSON ({reason})")) from None
    if not isinstance(data, dict):
        raise ProviderCallError(CallError(ErrorKind.BAD_RESPONSE, f"expected a JSON object, got {type(data).__name__}"))
    return data


def bad_shape(message: str) -> ProviderCallError:
    """A JSON answer that lacks what the API promises."""
    return ProviderCallError(CallError(ErrorKind.BAD_RESPONSE, message))


def empty_answer(message: str) -> ProviderCallError:
    """A well-formed answer with no text in it."""
    return ProviderCallError(CallError(ErrorKind.EMPTY, message))


def merge_params(body: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``body`` updated with ``extra``; a ``None`` value removes the key.

    Removal lets an operator replace a field an API no longer accepts (OpenAI's reasoning models want
    ``max_completion_tokens`` instead of ``max_tokens``) from the admin, without a code change.
    """
    merged = dict(body)
    for key, value in (extra or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
