"""The plugin SDK: the four names a plugin imports.

This module is a public contract (see the plugin development guide): a plugin written as the guide shows,
``from plugins.base_provider import BaseAIProvider, AIProviderPlugin, ProviderConfig, AIResponse``, must keep
working unchanged. Everything here is therefore additive: hosts may read extra attributes (``close()``,
``last_error``, ``default_base_url`` …) but a plugin that ignores them loses nothing.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Type

__all__ = [
    "API_VERSION",
    "SUPPORTED_API_VERSIONS",
    "AIProviderPlugin",
    "AIResponse",
    "BaseAIProvider",
    "CallError",
    "ErrorKind",
    "ProviderConfig",
]

#: The plugin API this host implements. A plugin declaring another ``api_version`` is refused as incompatible.
API_VERSION = "v1"
SUPPORTED_API_VERSIONS = frozenset({API_VERSION})


@dataclass
class ProviderConfig:
    """Settings for one configured use of a provider, built by the host from defaults, file, env and admin."""

    name: str
    api_key: str = ""
    base_url: str = ""
    model: str = ""
    timeout: int = 30
    max_tokens: int = 512
    temperature: float = 0.7
    extra_params: Dict[str, Any] = field(default_factory=dict)
    extra_headers: Dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # The dataclass default repr would print the key into any log line or traceback that shows a config.
        hidden = "'***'" if self.api_key else "''"
        return (
            f"ProviderConfig(name={self.name!r}, api_key={hidden}, base_url={self.base_url!r}, "
            f"model={self.model!r}, timeout={self.timeout!r}, max_tokens={self.max_tokens!r}, "
            f"temperature={self.temperature!r})"
        )


@dataclass
class AIResponse:
    """What every provider returns: the text plus where it came from and what it cost."""

    content: str
    provider_name: str
    model: str
    usage: Dict[str, Any] = field(default_factory=dict)
    metadata: Dict[str, Any] = field(default_factory=dict)

    @property
    def total_tokens(self) -> Optional[int]:
        usage = self.usage or {}
        total = usage.get("total_tokens")
        if total is None:
            parts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens")]
            numbers = [p for p in parts if isinstance(p, int)]
            total = sum(numbers) if numbers else None
        return total if isinstance(total, int) else None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


class ErrorKind:
    """Why a call failed, in words the host uses for health, circuit breaking and operators' error columns."""

    CONNECT = "connect"
    TIMEOUT = "timeout"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    BAD_RESPONSE = "bad_response"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    INIT_FAILED = "init_failed"
    EXCEPTION = "exception"
    NO_RESPONSE = "no_response"

    #: Failures worth one retry: the server may answer next time.
    RETRYABLE = frozenset({RATE_LIMITED, SERVER_ERROR})


@dataclass
class CallError:
    """A structured failure a provider may leave in ``last_error`` before returning ``None``.

    The guide's contract is "return None on failure"; this lets a provider also say *why* (an expired key is
    not an outage) without changing that contract. Providers that never set it still work: the host then
    records the failure as ``no_response``.
    """

    kind: str
    message: str
    status_code: Optional[int] = None
    retry_after: Optional[float] = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class BaseAIProvider(ABC):
    """Base class of every AI provider; subclasses implement the five abstract members."""

    #: Optional declarations a provider may make; the host uses them as defaults when an operator leaves a
    #: field blank. ``api_key_env`` names the conventional environment variable holding the key.
    default_base_url: str = ""
    default_model: str = ""
    api_key_env: str = ""

    def __init__(self, config: ProviderConfig):
        self.config = config
        self.logger = logging.getLogger(f"{type(self).__module__}.{type(self).__name__}")
        self.last_error: Optional[CallError] = None

    @property
    @abstractmethod
    def provider_name(self) -> str:
        """Human-readable provider name."""

    @property
    @abstractmethod
    def supported_models(self) -> List[str]:
        """Models this provider is known to serve (others may still work)."""

    @abstractmethod
    def initialize(self) -> bool:
        """Prepare clients and authentication; return False when the provider cannot be used."""

    @abstractmethod
    def generate_message(self, system_prompt: str, user_prompt: str) -> Optional[AIResponse]:
        """Return a response, or None on failure (never raise for expected API errors)."""

    @abstractmethod
    def health_check(self) -> bool:
        """Return True when the provider answers; must not cost a paid completion."""

    def validate_config(self) -> bool:
        """Check the fields every provider needs; subclasses extend it with their own rules."""
        for field_name in ("name", "api_key", "model"):
            if not getattr(self.config, field_name, None):
                self.logger.error("%s is required for %s", field_name, self.config.name or type(self).__name__)
                return False
        return True

    def get_info(self) -> Dict[str, Any]:
        """Describe the provider for status pages; never includes the API key."""
        return {
            "name": self.config.name,
            "provider_name": self.provider_name,
            "model": self.config.model,
            "base_url": self.config.base_url,
            "supported_models": list(self.supported_models),
            "max_tokens": self.config.max_tokens,
            "temperature": self.config.temperature,
            "timeout": self.config.timeout,
        }

    def close(self) -> None:
        """Release network clients. Hosts call this when a provider is replaced, so ``__del__`` is not needed.

        The default closes a ``client`` attribute, which is what the guide's providers create; override it
        when a provider holds other resources. Safe to call more than once.
        """
        client = getattr(self, "client", None)
        if client is not None and hasattr(client, "close"):
            try:
                client.close()
            except Exception:  # a broken client must not stop the host replacing the provider
                self.logger.debug("Closing the client of %s failed", self.config.name, exc_info=True)
        if client is not None:
            self.client = None


class AIProviderPlugin:
    """A provider class plus its metadata: the object a plugin module exposes at module level."""

    def __init__(self, provider_class: Type[BaseAIProvider], metadata: Dict[str, Any]):
        # No validation here on purpose: a plugin with bad metadata must still import, so that discovery can
        # record *why* it is invalid instead of failing the whole module.
        self.provider_class = provider_class
        self.metadata = dict(metadata or {})

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    def create_provider(self, config: ProviderConfig) -> BaseAIProvider:
        """Instantiate the provider for one configuration (the host calls ``initialize()`` next)."""
        return self.provider_class(config)

    def get_plugin_info(self) -> Dict[str, Any]:
        """Metadata plus the provider class, for listings."""
        info = dict(self.metadata)
        info["provider_class"] = f"{self.provider_class.__module__}.{self.provider_class.__qualname__}"
        return info

    def __repr__(self) -> str:
        return f"<AIProviderPlugin {self.name or '?'} {self.version or '?'}>"
