"""The guide's "Test your plugin" step as a function: validate, initialize, health check, generate.

Used by ``manage.py checkplugin``. Each step yields a :class:`CheckResult` with a one-line reason; the reason
comes from the provider's ``last_error`` when it set one, else from the last warning or error it logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plugins.base_provider import ProviderConfig
from plugins.discovery import discover_file
from plugins.registry import ScannedPlugin, evaluate, registry

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = "You are a helpful assistant."
USER_PROMPT = "Tell me about AI."


class PluginNotFound(LookupError):
    """No plugin matches the key or path given."""


@dataclass
class CheckResult:
    step: str
    ok: bool
    detail: str


def find_plugins(key_or_path: str) -> list[ScannedPlugin]:
    """Resolve a plugin key (``module.path:Attr``) or a ``.py`` file (optionally ``file.py:Attr``) to plugins."""
    path_text, _, attribute = key_or_path.partition(".py:")
    if attribute:
        path_text += ".py"
    if path_text.endswith(".py") or os.sep in path_text or Path(path_text).is_file():
        try:
            candidates = discover_file(path_text)
        except FileNotFoundError as exc:
            raise PluginNotFound(str(exc)) from None
        scanned = [evaluate(candidate) for candidate in candidates]
        if attribute:
            scanned = [item for item in scanned if item.key.rpartition(":")[2] == attribute]
        if not scanned:
            raise PluginNotFound(f"{key_or_path}: no AIProviderPlugin object found in the file")
        return scanned
    registry.rescan()
    for item in registry.scanned():
        if item.key == key_or_path:
            return [item]
    raise PluginNotFound(f"no plugin with key {key_or_path!r}; `manage.py syncplugins` lists the keys")


def check_plugin(
    scanned: ScannedPlugin, *, api_key: str | None = None, base_url: str | None = None, model: str | None = None
) -> Iterator[CheckResult]:
    """Run the four checks in order, stopping after validation or initialization fails."""
    declaration = scanned.declaration
    if not scanned.is_valid:
        yield CheckResult("validate", False, f"{scanned.status}: {scanned.error}")
        return
    yield CheckResult("validate", True, f"{declaration.name} {declaration.version} is valid")

    if api_key is None:
        api_key = os.environ.get(declaration.api_key_env, "") if declaration.api_key_env else ""
    config = ProviderConfig(
        name=declaration.name,
        api_key=api_key,
        base_url=base_url or declaration.default_base_url,
        model=model or declaration.default_model or next(iter(declaration.supported_models), ""),
    )
    try:
        provider = scanned.plugin.create_provider(config)
    except Exception as exc:
        yield CheckResult("initialize", False, f"creating the provider raised {type(exc).__name__}: {exc}")
        return
    try:
        ok, detail = _run(provider, "initialize", provider.initialize)
        if ok:
            detail = f"initialized with model {config.model or '(none)'} at {config.base_url or '(no base URL)'}"
        elif not config.api_key:
            hint = f"set {declaration.api_key_env} or pass --api-key" if declaration.api_key_env else "--api-key"
            detail = f"{detail} (no API key given: {hint})"
        yield CheckResult("initialize", ok, detail)
        if not ok:
            return
        ok, detail = _run(provider, "health_check", provider.health_check)
        yield CheckResult("health_check", ok, "health check passed" if ok else detail)
        response = None

        def generate():
            nonlocal response
            response = provider.generate_message(SYSTEM_PROMPT, USER_PROMPT)
            return response is not None

        ok, detail = _run(provider, "generate_message", generate)
        if ok:
            detail = f"generated response: {' '.join(str(response.content).split())[:200]}"
        yield CheckResult("generate_message", ok, detail)
    finally:
        try:
            provider.close()
        except Exception:
            logger.debug("close() of the checked provider failed", exc_info=True)


def _run(provider, step: str, call) -> tuple[bool, str]:
    provider.last_error = None
    with _captured_problems() as problems:
        try:
            ok = bool(call())
        except Exception as exc:
            return False, f"{step}() raised {type(exc).__name__}: {exc}"
    if ok:
        return True, ""
    if getattr(provider, "last_error", None) is not None:
        return False, str(provider.last_error)
    if problems:
        return False, problems[-1]
    return False, f"{step}() reported failure without a reason"


@contextmanager
def _captured_problems() -> Iterator[list[str]]:
    """Collect warnings and errors logged meanwhile: the guide's providers explain failures only in the log."""
    problems: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                problems.append(" ".join(record.getMessage().split()))
            except Exception:
                pass

    handler = Collector(level=logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield problems
    finally:
        root.removeHandler(handler)
