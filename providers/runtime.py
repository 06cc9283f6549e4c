"""Turning Provider rows into live plugin instances, calling them safely, and recording what happened.

The ticker uses three functions:

* :func:`eligible_providers` — which providers to try, in order (circuit-aware);
* :func:`generate` — one call, *without* touching the database, so a tick can store everything afterwards in
  one short transaction (a SQLite write transaction held across a slow HTTP call would block every writer);
* :func:`record_outcomes` — store the attempts and update health and circuit state (caller owns the transaction).

Calls run in a worker thread under a host-side deadline (``timeout`` + a small grace): a plugin's own httpx
timeout is per read, so a server that drips bytes, or a plugin that blocks forever, would otherwise hang the
loop. There are no retries here; the builtins' HTTP layer retries at most once, and retries must not multiply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider, CallError, ErrorKind, ProviderConfig
from plugins.models import Plugin

from . import secrets
from .models import Attempt, Provider, ReloadSignal
from .redaction import register_secret, scrub

logger = logging.getLogger(__name__)

__all__ = [
    "CallOutcome",
    "build_config",
    "check_health",
    "eligible_providers",
    "generate",
    "load_plugin",
    "record_outcomes",
    "refresh_if_reloaded",
    "request_reload",
    "reset_live_providers",
    "sample_generation",
]

#: Extra seconds granted beyond a provider's timeout before the host stops waiting: the plugin's own timeout
#: should fire first and produce a precise error; the host deadline only catches plugins that never return.
DEADLINE_GRACE_SECONDS = 2.0
#: Stored error texts are capped: a 20 MB error body must not land in the database.
MAX_ERROR_LENGTH = 2000
AUTH_HINT = "check the API key"

TEST_SYSTEM_PROMPT = "You are a concise assistant."
TEST_USER_PROMPT = "Reply with one short, friendly sentence confirming that you are working."


# --- Seams onto the plugins app (tests replace these) -----------------------------------------------------


def load_plugin(key: str) -> AIProviderPlugin | None:
    """The loaded plugin object for ``key``, or None when it is not valid/loadable."""
    from plugins.registry import registry

    return registry.get(key)


def rescan_plugins() -> None:
    from plugins.registry import registry

    registry.rescan()


def sync_plugins() -> str:
    """Rescan plugins from disk, update the Plugin rows and the registry; returns a one-line summary."""
    from plugins.sync import sync_plugins as _sync

    return _sync().summary()


# --- Outcomes ---------------------------------------------------------------------------------------------


@dataclass
class CallOutcome:
    """The result of one call, ready to be stored by :func:`record_outcomes` (``attempt`` is unsaved)."""

    provider: Provider
    purpose: str
    ok: bool
    response: AIResponse | None = None
    error_kind: str = ""
    error: str = ""
    latency_ms: int = 0
    model: str = ""
    status_code: int | None = None
    attempt: Attempt = field(init=False)

    def __post_init__(self) -> None:
        self.error = scrub(self.error)[:MAX_ERROR_LENGTH]
        usage = self.response.usage if self.response is not None and isinstance(self.response.usage, dict) else {}
        self.attempt = Attempt(
            provider=self.provider if self.provider.pk else None,
            provider_name=self.provider.name[:100],
            model=(self.model or self.provider.model)[:200],
            purpose=self.purpose,
            ok=self.ok,
            latency_ms=max(0, self.latency_ms),
            error_kind=self.error_kind,
            error=self.error,
            prompt_tokens=_count(usage.get("prompt_tokens", usage.get("input_tokens"))),
            completion_tokens=_count(usage.get("completion_tokens", usage.get("output_tokens"))),
            total_tokens=_count(_total_tokens(self.response)),
        )

    @property
    def content(self) -> str:
        return self.response.content if self.ok and self.response is not None else ""


class _CallFailure(Exception):
    def __init__(self, kind: str, message: str, status_code: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status_code = status_code


class _DeadlineExceeded(Exception):
    pass


# --- Live instances ---------------------------------------------------------------------------------------


class _LiveProviders:
    """Per-process cache of initialised plugin instances, keyed by provider id and config fingerprint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, tuple[str, BaseAIProvider]] = {}

    def get(self, pk: int, fingerprint: str) -> BaseAIProvider | None:
        with self._lock:
            entry = self._live.get(pk)
        return entry[1] if entry and entry[0] == fingerprint else None

    def put(self, pk: int, fingerprint: str, instance: BaseAIProvider) -> None:
        with self._lock:
            previous = self._live.get(pk)
            self._live[pk] = (fingerprint, instance)
        if previous is not None and previous[1] is not instance:
            _close(previous[1])

    def discard(self, pk: int, instance: BaseAIProvider | None = None) -> None:
        with self._lock:
            entry = self._live.get(pk)
            if entry is None or (instance is not None and entry[1] is not instance):
                entry = None
            else:
                del self._live[pk]
        if entry is not None:
            _close(entry[1])
        elif instance is not None:
            _close(instance)

    def clear(self) -> None:
        with self._lock:
            entries, self._live = list(self._live.values()), {}
        for _fingerprint, instance in entries:
            _close(instance)

    def __len__(self) -> int:
        return len(self._live)


_live = _LiveProviders()
_generation_lock = threading.Lock()
_seen_generation: int | None = None


def _close(instance: BaseAIProvider) -> None:
    """Close in a daemon thread: closing a client whose request is stuck may block as long as the request."""

    def close() -> None:
        try:
            instance.close()
        except Exception:
            logger.debug("Closing a replaced provider instance failed", exc_info=True)

    threading.Thread(target=close, name="aiticker-provider-close", daemon=True).start()


def reset_live_providers() -> None:
    """Close every cached instance; the next call builds fresh ones."""
    _live.clear()


def build_config(provider: Provider, plugin: AIProviderPlugin | None = None) -> ProviderConfig:
    """Merge plugin defaults, the stored row and the environment into the config handed to the plugin.

    Precedence, later wins: the provider class's declared defaults → the Plugin row's defaults → the stored row
    (imported file or admin/API edits) — with the key resolved from the environment when the row holds a
    ``${VAR}`` reference or is blank. Raises :class:`secrets.SecretError` when the key cannot be resolved.
    """
    row = provider.plugin
    cls = plugin.provider_class if plugin is not None else None
    api_key_env = row.api_key_env or getattr(cls, "api_key_env", "") or ""
    timeout = float(provider.timeout)
    return ProviderConfig(
        name=provider.name,
        api_key=secrets.resolve_api_key(provider.api_key, api_key_env),
        base_url=provider.base_url or row.default_base_url or getattr(cls, "default_base_url", "") or "",
        model=provider.model or row.default_model or getattr(cls, "default_model", "") or "",
        timeout=int(timeout) if timeout.is_integer() else timeout,
        max_tokens=provider.max_tokens,
        temperature=provider.temperature,
        extra_params=dict(provider.extra_params or {}),
        extra_headers=dict(provider.extra_headers or {}),
    )


def _fingerprint(provider: Provider, plugin: AIProviderPlugin, config: ProviderConfig) -> str:
    # The key enters only as a hash; the plugin object's identity makes a rescan (new objects) rebuild too.
    material = {
        "plugin": provider.plugin.key,
        "plugin_object": id(plugin),
        "name": config.name,
        "base_url": config.base_url,
        "model": config.model,
        "timeout": config.timeout,
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "extra_params": config.extra_params,
        "extra_headers": config.extra_headers,
        "key": hashlib.sha256(config.api_key.encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _prepare(provider: Provider) -> tuple[AIProviderPlugin, ProviderConfig]:
    """Resolve the plugin and config in the caller's thread (may read the database; worker threads must not)."""
    row = provider.plugin
    if not row.is_usable:
        state = "disabled" if row.status == Plugin.Status.VALID else row.get_status_display().lower()
        raise _CallFailure(ErrorKind.INIT_FAILED, f"The plugin {row.key} is {state}.")
    plugin = load_plugin(row.key)
    if plugin is None:
        raise _CallFailure(ErrorKind.INIT_FAILED, f"The plugin {row.key} is not loaded; rescan the plugins.")
    try:
        config = build_config(provider, plugin)
    except secrets.SecretError as exc:
        raise _CallFailure(ErrorKind.INIT_FAILED, str(exc)) from None
    register_secret(config.api_key)
    return plugin, config


def _live_instance(provider: Provider, plugin: AIProviderPlugin, config: ProviderConfig) -> BaseAIProvider:
    fingerprint = _fingerprint(provider, plugin, config)
    cached = _live.get(provider.pk, fingerprint) if provider.pk else None
    if cached is not None:
        return cached
    try:
        instance = plugin.create_provider(config)
    except Exception as exc:
        raise _CallFailure(
            ErrorKind.INIT_FAILED, f"Creating the provider failed: {type(exc).__name__}: {exc}"
        ) from None
    try:
        ready = instance.initialize()
    except Exception as exc:
        _close(instance)
        raise _CallFailure(ErrorKind.INIT_FAILED, f"initialize() raised {type(exc).__name__}: {exc}") from None
    if not ready:
        reason = getattr(instance, "last_error", None)
        _close(instance)
        message = reason.message if isinstance(reason, CallError) else ""
        raise _CallFailure(
            ErrorKind.INIT_FAILED,
            message or "initialize() returned False; check the API key, base URL and model (see the log).",
        )
    if provider.pk:
        _live.put(provider.pk, fingerprint, instance)
        logger.info("provider=%s built model=%s plugin=%s", provider.name, config.model, provider.plugin.key)
    return instance


class _Job:
    __slots__ = ("work", "done", "value", "error")

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class _CallWorkers:
    """Reusable daemon threads for provider calls, so a tick does not start a thread per call.

    A call that overruns its deadline keeps its worker (it is abandoned, as before): the next call takes another
    idle worker or starts a new one, so a stuck plugin never delays anyone. A worker goes back to the idle
    list when its call ends, and exits instead when ``max_idle`` workers are already idle.
    """

    def __init__(self, max_idle: int = 4) -> None:
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue] = []

    def submit(self, work: Callable[[], Any]) -> _Job:
        job = _Job(work)
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="aiticker-provider-call", daemon=True).start()
        inbox.put(job)
        return job

    def _serve(self, inbox: queue.SimpleQueue) -> None:
        while True:
            job = inbox.get()
            try:
                job.value = job.work()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
                job.error = exc
            finally:
                job.work = None  # drop references to the provider and prompts while idle
                job.done.set()
            with self._lock:
                if len(self._idle) >= self.max_idle:
                    return
                self._idle.append(inbox)


_call_workers = _CallWorkers()


def _run_with_deadline(work: Callable[[], Any], seconds: float) -> Any:
    """Run ``work`` in a worker thread and stop waiting after ``seconds`` (a stuck worker is abandoned)."""
    job = _call_workers.submit(work)
    if not job.done.wait(seconds):
        raise _DeadlineExceeded
    if job.error is not None:
        raise job.error
    return job.value


def _call(
    provider: Provider,
    purpose: str,
    invoke: Callable[[BaseAIProvider], Any],
    classify: Callable[[BaseAIProvider, Any], tuple[bool, AIResponse | None, str, str, int | None]],
) -> CallOutcome:
    started = time.monotonic()
    model = provider.model
    used: dict[str, BaseAIProvider] = {}
    try:
        plugin, config = _prepare(provider)
        model = config.model
        logger.debug(
            "provider=%s purpose=%s calling plugin=%s model=%s base_url=%s timeout_s=%g",
            provider.name,
            purpose,
            provider.plugin.key,
            config.model,
            config.base_url or "-",
            float(config.timeout),
        )

        def work() -> tuple[bool, AIResponse | None, str, str, int | None]:
            instance = _live_instance(provider, plugin, config)
            used["instance"] = instance
            instance.last_error = None
            return classify(instance, invoke(instance))

        ok, response, kind, message, status_code = _run_with_deadline(
            work, float(config.timeout) + DEADLINE_GRACE_SECONDS
        )
    except _DeadlineExceeded:
        ok, response, status_code = False, None, None
        kind, message = ErrorKind.TIMEOUT, f"No answer within {float(provider.timeout):g} s (host deadline)."
        _discard(provider, used.get("instance"))
    except _CallFailure as failure:
        ok, response, kind, message, status_code = False, None, failure.kind, failure.message, failure.status_code
    except Exception as exc:
        ok, response, status_code = False, None, None
        kind, message = ErrorKind.EXCEPTION, f"{type(exc).__name__}: {exc}"
        _discard(provider, used.get("instance"))
        logger.warning("provider=%s purpose=%s raised %s", provider.name, purpose, scrub(message), exc_info=True)
    if kind == ErrorKind.AUTH and AUTH_HINT not in message:
        message = f"{message.rstrip('. ')}; {AUTH_HINT}." if message else f"Authentication failed; {AUTH_HINT}."
    outcome = CallOutcome(
        provider=provider,
        purpose=purpose,
        ok=ok,
        response=response,
        error_kind="" if ok else kind,
        error="" if ok else message,
        latency_ms=int((time.monotonic() - started) * 1000),
        model=model,
        status_code=status_code,
    )
    log = logger.info if ok else logger.warning
    log(
        "provider=%s purpose=%s outcome=%s latency_ms=%d%s",
        provider.name,
        purpose,
        "ok" if ok else outcome.error_kind,
        outcome.latency_ms,
        f" error={outcome.error!r}" if outcome.error else "",
    )
    return outcome


def _discard(provider: Provider, instance: BaseAIProvider | None) -> None:
    if provider.pk:
        _live.discard(provider.pk, instance)
    elif instance is not None:
        _close(instance)


def _failure_from(instance: BaseAIProvider, fallback_kind: str, fallback: str) -> tuple[str, str, int | None]:
    error = getattr(instance, "last_error", None)
    if isinstance(error, CallError):
        kind = error.kind or fallback_kind
        if error.status_code in (401, 403):
            kind = ErrorKind.AUTH
        return kind, error.message or fallback, error.status_code
    return fallback_kind, fallback, None


def _classify_generation(
    instance: BaseAIProvider, response: Any
) -> tuple[bool, AIResponse | None, str, str, int | None]:
    if response is None:
        kind, message, status = _failure_from(
            instance, ErrorKind.NO_RESPONSE, "The provider returned no response (see its log for why)."
        )
        return False, None, kind, message, status
    content = getattr(response, "content", None)
    if not isinstance(response, AIResponse) or not isinstance(content, str):
        return (
            False,
            None,
            ErrorKind.BAD_RESPONSE,
            f"The provider returned {type(response).__name__}, not an AIResponse.",
            None,
        )
    if not content.strip():
        return False, None, ErrorKind.EMPTY, "The provider answered with empty content.", None
    return True, response, "", "", None


def _classify_health(instance: BaseAIProvider, healthy: Any) -> tuple[bool, AIResponse | None, str, str, int | None]:
    if healthy is True:
        return True, None, "", "", None
    kind, message, status = _failure_from(
        instance, ErrorKind.NO_RESPONSE, "The health check reported the provider down."
    )
    return False, None, kind, message, status


# --- Public calls ------------------------------------------------------------------------------------------


def generate(
    provider: Provider, system_prompt: str, user_prompt: str, *, purpose: str = Attempt.Purpose.GENERATE
) -> CallOutcome:
    """Ask ``provider`` for one message. Never raises for provider failures and never writes to the database."""
    return _call(
        provider, purpose, lambda instance: instance.generate_message(system_prompt, user_prompt), _classify_generation
    )


def check_health(provider: Provider) -> CallOutcome:
    """Run the provider's (free) health check under the same deadline; not stored (see health.check_providers)."""
    return _call(provider, Attempt.Purpose.HEALTH, lambda instance: instance.health_check(), _classify_health)


def sample_generation(provider: Provider, system_prompt: str = "", user_prompt: str = "") -> CallOutcome:
    """One sample generation for operators (admin action, API), recorded as a ``test`` attempt."""
    outcome = generate(
        provider, system_prompt or TEST_SYSTEM_PROMPT, user_prompt or TEST_USER_PROMPT, purpose=Attempt.Purpose.TEST
    )
    with transaction.atomic():
        record_outcomes([outcome])
    return outcome


def record_outcomes(outcomes: Iterable[CallOutcome]) -> list[Attempt]:
    """Save the attempts and update each provider's health and circuit state.

    Only the health/circuit columns are written (``queryset.update``), so an admin editing the provider's
    configuration at the same moment loses nothing. Health checks and tests update the health columns but
    never the circuit: only failed generation calls open it. Wrap the call in ``transaction.atomic()``.
    """
    now = timezone.now()
    attempts = []
    for outcome in outcomes:
        outcome.attempt.save()
        attempts.append(outcome.attempt)
        if outcome.provider.pk:
            _update_state(outcome, now)
    return attempts


def _update_state(outcome: CallOutcome, now: datetime) -> None:
    provider = outcome.provider
    changes: dict[str, Any] = {"last_checked_at": now, "last_latency_ms": outcome.latency_ms}
    generation = outcome.purpose == Attempt.Purpose.GENERATE
    if generation and outcome.ok:
        # A success resets the count whatever it was, so it need not be read first (one query less per tick).
        changes.update(healthy=Provider.Health.YES, last_error="", consecutive_failures=0, circuit_open_until=None)
    elif generation:
        failures = Provider.objects.filter(pk=provider.pk).values_list("consecutive_failures", flat=True).first()
        if failures is None:  # deleted while the call was running
            return
        failures += 1
        changes.update(consecutive_failures=failures, last_error=outcome.error)
        if failures >= settings.AITICKER_CIRCUIT_FAILURES:
            changes.update(
                circuit_open_until=now + timedelta(seconds=settings.AITICKER_CIRCUIT_COOLDOWN),
                healthy=Provider.Health.NO,
            )
            logger.warning(
                "provider=%s circuit=open failures=%d cooldown_s=%g last_error=%r",
                provider.name,
                failures,
                settings.AITICKER_CIRCUIT_COOLDOWN,
                outcome.error,
            )
        if outcome.error_kind == ErrorKind.AUTH:
            changes["healthy"] = Provider.Health.NO
    else:
        changes.update(
            healthy=Provider.Health.YES if outcome.ok else Provider.Health.NO,
            last_error="" if outcome.ok else outcome.error,
        )
    updated = Provider.objects.filter(pk=provider.pk).update(**changes)
    if generation and not updated:  # deleted while the call was running
        return
    for name, value in changes.items():
        setattr(provider, name, value)


# --- Choosing providers and reloading ---------------------------------------------------------------------


def usable_providers():
    """Enabled providers whose plugin is enabled and valid, in priority order (circuit not considered)."""
    return (
        Provider.objects.filter(enabled=True, plugin__enabled=True, plugin__status=Plugin.Status.VALID)
        .select_related("plugin")
        .order_by("priority", "name")
    )


def eligible_providers(now: datetime | None = None) -> list[Provider]:
    """The providers to try, in order: usable and circuit not open (half-open ones get their trial call).

    When every usable provider's circuit is open, the one that closes soonest is returned alone: trying it
    early beats showing nothing.
    """
    refresh_if_reloaded()
    now = now or timezone.now()
    usable = list(usable_providers())
    closed = [p for p in usable if p.circuit_open_until is None or p.circuit_open_until <= now]
    if closed or not usable:
        return closed
    return [min(usable, key=lambda p: (p.circuit_open_until, p.priority, p.name))]


def refresh_if_reloaded() -> bool:
    """Rescan plugins and drop cached instances when another process requested a reload. One query."""
    global _seen_generation
    generation = ReloadSignal.current()
    with _generation_lock:
        previous, _seen_generation = _seen_generation, generation
    if previous is None or previous == generation:
        return False
    logger.info("Reload requested (generation %d): rescanning plugins and rebuilding providers", generation)
    try:
        rescan_plugins()
    except Exception:
        logger.exception("Rescanning plugins after a reload request failed; keeping the loaded plugins")
    _live.clear()
    return True


@dataclass
class ReloadResult:
    generation: int
    plugins: str


def request_reload() -> ReloadResult:
    """Sync plugins from disk, then signal every process (through the database) to rebuild its providers."""
    global _seen_generation
    summary = sync_plugins()
    generation = ReloadSignal.bump()
    with _generation_lock:
        _seen_generation = generation
    _live.clear()
    logger.info("Reload signalled: generation %d; plugins: %s", generation, summary)
    return ReloadResult(generation=generation, plugins=summary)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else None


def _total_tokens(response: AIResponse | None) -> int | None:
    if response is None:
        return None
    try:
        return response.total_tokens
    except Exception:  # usage is plugin-provided data; a strange shape must not fail the call
        return None
