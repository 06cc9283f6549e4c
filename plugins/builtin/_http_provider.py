"""The skeleton shared by every builtin HTTP provider: configuration checks, client, failure recording.

Each API family (OpenAI-compatible, Anthropic, Gemini) only says how to build its request and read its
answer; everything about *how a call fails* lives here and in ``_http`` so all builtins report failures the
same way: ``last_error`` set to a ``CallError``, one log line without secrets or prompts, ``None`` returned.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from plugins.base_provider import AIResponse, BaseAIProvider, CallError, ErrorKind, ProviderConfig
from plugins.builtin import _http
from plugins.builtin._http import ProviderCallError


class HTTPProvider(BaseAIProvider):
    """A provider that talks JSON over HTTP through :mod:`plugins.builtin._http`.

    Subclasses implement :meth:`request_headers`, :meth:`completion_path`, :meth:`build_payload` and
    :meth:`parse_response`, and declare ``provider_name``/``supported_models`` plus the SDK's class defaults.
    """

    #: A GET that lists models: free on every API we ship, so health checks never cost a completion.
    health_path: str = "/models"
    #: Local OpenAI-compatible servers (Ollama, vLLM …) usually run without a key.
    requires_api_key: bool = True

    def __init__(self, config: ProviderConfig):
        super().__init__(config)
        self.client = None

    # --- what subclasses describe -------------------------------------------------------------------------

    def request_headers(self) -> dict[str, str]:
        """Authentication and API-version headers (``extra_headers`` are added on top by the skeleton)."""
        return {}

    def completion_path(self) -> str:
        raise NotImplementedError

    def build_payload(self, system_prompt: str, user_prompt: str) -> dict[str, Any]:
        raise NotImplementedError

    def parse_response(self, data: dict[str, Any]) -> AIResponse:
        """Turn the API's JSON object into an AIResponse; raise ``ProviderCallError`` for a bad or empty one."""
        raise NotImplementedError

    # --- configuration ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The configured base URL, or the plugin's default when the operator left it blank."""
        return (self.config.base_url or self.default_base_url).strip().rstrip("/")

    def config_problem(self) -> str | None:
        """Why this configuration cannot work, in one sentence naming the field; ``None`` when it can."""
        label = self.config.name or self.provider_name
        if not self.config.name:
            return f"name is required for {self.provider_name}"
        if self.requires_api_key and not self.config.api_key:
            where = f"set {self.api_key_env} or " if self.api_key_env else ""
            return f"api_key is required for {label}: {where}enter a key"
        if not self.config.model:
            return f"model is required for {label}"
        if not self.base_url:
            return f"base_url is required for {label}"
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"base_url must be an http:// or https:// URL for {label}, got {self.base_url!r}"
        try:
            timeout = float(self.config.timeout)
        except (TypeError, ValueError):
            timeout = 0.0
        if not timeout > 0:
            return f"timeout must be a positive number of seconds for {label}"
        return None

    def validate_config(self) -> bool:
        problem = self.config_problem()
        if problem:
            self.logger.error("Invalid configuration: %s", problem)
            return False
        return True

    # --- the SDK's lifecycle ------------------------------------------------------------------------------

    def initialize(self) -> bool:
        self.last_error = None
        problem = self.config_problem()
        if problem:
            return self._init_failed(problem)
        self.close()
        headers = {"Accept": "application/json", **self.request_headers()}
        headers.update({str(k): str(v) for k, v in (self.config.extra_headers or {}).items()})
        try:
            self.client = _http.build_client(self.base_url, headers, timeout=float(self.config.timeout))
        except Exception as exc:  # bad header values, bad URL: the provider is unusable, the host goes on
            return self._init_failed(f"could not build the HTTP client: {exc}")
        self.logger.info(
            "Initialized provider=%s plugin=%s model=%s base_url=%s",
            self.config.name,
            self.provider_name,
            self.config.model,
            self.base_url,
        )
        return True

    def generate_message(self, system_prompt: str, user_prompt: str) -> AIResponse | None:
        self.last_error = None
        if self.client is None:
            return self._failed(
                CallError(ErrorKind.INIT_FAILED, "not initialized; call initialize() first"), "generate"
            )
        started = time.monotonic()
        try:
            data = _http.request_json(
                self.client,
                "POST",
                self.completion_path(),
                json=self.build_payload(system_prompt, user_prompt),
                timeout=float(self.config.timeout),
                secret=self.config.api_key,
                label=self.config.name,
            )
            response = self.parse_response(data)
        except ProviderCallError as exc:
            return self._failed(exc.error, "generate")
        except Exception as exc:
            # A bug or an answer shape nobody foresaw: still one failed call, never a crash of the caller. No
            # traceback in the log (its texts cannot be scrubbed of the key), only where it was raised.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            message = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}: {exc}"
            return self._failed(CallError(ErrorKind.EXCEPTION, message), "generate")
        self.logger.debug(
            "provider=%s model=%s call=generate outcome=ok latency_ms=%d",
            self.config.name,
            self.config.model,
            (time.monotonic() - started) * 1000,
        )
        return response

    def health_check(self) -> bool:
        """GET the model listing: free, authenticated, and a fair sign the API and the key work."""
        self.last_error = None
        if self.client is None:
            self._failed(CallError(ErrorKind.INIT_FAILED, "not initialized; call initialize() first"), "health")
            return False
        try:
            _http.send(
                self.client,
                "GET",
                self.health_path,
                timeout=float(self.config.timeout),
                secret=self.config.api_key,
                retry=False,
                read_body=False,
                label=self.config.name,
            )
        except ProviderCallError as exc:
            self._failed(exc.error, "health", level=logging.INFO)
            return False
        return True

    # --- failure recording --------------------------------------------------------------------------------

    def _failed(self, error: CallError, call: str, level: int = logging.WARNING) -> None:
        """Record why a call failed and log one line: no key (scrubbed), no prompt."""
        error.message = _http.scrub(error.message, self.config.api_key)
        self.last_error = error
        self.logger.log(
            level,
            "provider=%s model=%s call=%s outcome=%s status=%s reason=%s",
            self.config.name,
            self.config.model,
            call,
            error.kind,
            error.status_code if error.status_code is not None else "-",
            error.message,
        )
        return None

    def _init_failed(self, reason: str) -> bool:
        self._failed(CallError(ErrorKind.INIT_FAILED, reason), "initialize", level=logging.ERROR)
        return False
