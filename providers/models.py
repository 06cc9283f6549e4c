"""Operators' configuration of plugins (Provider), the calls made through them (Attempt), and reload signals."""

from __future__ import annotations

import os
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from . import secrets
from .validators import validate_finite, validate_header_map, validate_http_url, validate_json_object


class Provider(models.Model):
    """One configured use of a plugin: key, endpoint, model, limits, priority, plus its health state."""

    class Health(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        YES = "yes", "Healthy"
        NO = "no", "Down"

    class Circuit(models.TextChoices):
        CLOSED = "closed", "Closed"
        OPEN = "open", "Open"
        HALF_OPEN = "half-open", "Half-open (next call is a trial)"

    name = models.CharField(max_length=100, unique=True)
    plugin = models.ForeignKey("plugins.Plugin", on_delete=models.PROTECT, related_name="providers")
    enabled = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    base_url = models.CharField(
        max_length=500, blank=True, validators=[validate_http_url], help_text="Blank: the plugin's default."
    )
    model = models.CharField(max_length=200)
    api_key = models.TextField(
        blank=True,
        help_text="A literal key (stored encrypted) or a reference such as ${OPENROUTER_API_KEY}. "
        "Blank: the plugin's conventional environment variable.",
    )
    timeout = models.FloatField(
        default=30,
        validators=[validate_finite, MinValueValidator(1), MaxValueValidator(300)],
        help_text="Seconds; the host stops waiting for a call shortly after this.",
    )
    max_tokens = models.PositiveIntegerField(default=512, validators=[MinValueValidator(1), MaxValueValidator(32768)])
    temperature = models.FloatField(
        default=0.7, validators=[validate_finite, MinValueValidator(0), MaxValueValidator(2)]
    )
    extra_params = models.JSONField(
        default=dict, blank=True, validators=[validate_json_object], help_text="A JSON object passed to the plugin."
    )
    extra_headers = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_header_map],
        help_text='A JSON object of header name to string value, e.g. {"HTTP-Referer": "https://example.com"}.',
    )
    notes = models.TextField(blank=True)

    last_checked_at = models.DateTimeField(null=True, blank=True)
    healthy = models.CharField(max_length=8, choices=Health.choices, default=Health.UNKNOWN)
    last_error = models.TextField(blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    circuit_open_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Every path that stores a key (admin, API, import, shell) goes through here, so none stores it in clear.
        self.api_key = secrets.to_stored(self.api_key)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not (self.name or "").strip():
            errors["name"] = "Enter a name."
        if not (self.model or "").strip():
            errors["model"] = "Enter the model this provider asks for (see the plugin's supported models)."
        plugin = self.plugin if self.plugin_id else None
        if self.enabled and plugin is not None and not plugin.is_usable:
            state = "disabled" if plugin.status == plugin.Status.VALID else plugin.get_status_display().lower()
            errors["enabled"] = (
                f"The plugin {plugin.key} is {state}; a provider can only be enabled while its plugin is valid "
                "and enabled."
            )
        if errors:
            raise ValidationError(errors)

    def model_warnings(self) -> list[str]:
        """Advice that does not block saving: providers add models faster than plugins list them."""
        plugin = self.plugin if self.plugin_id else None
        supported = list(plugin.supported_models or []) if plugin is not None else []
        if self.model and supported and self.model not in supported:
            return [
                f"The model {self.model!r} is not among the plugin's supported models "
                f"({', '.join(map(str, supported[:8]))}{', …' if len(supported) > 8 else ''}); it may still work."
            ]
        return []

    def circuit_state(self, now: datetime | None = None) -> str:
        if self.circuit_open_until is None:
            return self.Circuit.CLOSED
        return self.Circuit.OPEN if self.circuit_open_until > (now or timezone.now()) else self.Circuit.HALF_OPEN

    @property
    def api_key_set(self) -> bool:
        """True when a key will be sent: a stored key or reference, or the conventional variable is set."""
        if self.api_key:
            return True
        env_name = self.plugin.api_key_env if self.plugin_id else ""
        return bool(env_name and os.environ.get(env_name))

    @property
    def api_key_hint(self) -> str:
        return secrets.api_key_hint(self.api_key, self.plugin.api_key_env if self.plugin_id else "")


class Attempt(models.Model):
    """One call to a provider (generation, health check or test), kept for health and statistics."""

    class Purpose(models.TextChoices):
        GENERATE = "generate", "Generate"
        HEALTH = "health", "Health check"
        TEST = "test", "Test"

    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts")
    provider_name = models.CharField(max_length=100)
    model = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.GENERATE)
    ok = models.BooleanField()
    latency_ms = models.PositiveIntegerField(default=0)
    error_kind = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    total_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider_name} {'ok' if self.ok else self.error_kind} {self.latency_ms} ms"


class ReloadSignal(models.Model):
    """A one-row generation counter: bumping it tells every process to rescan plugins and rebuild providers.

    The ticker loop runs in another process than the web server, so the signal travels through the database;
    each process compares the generation it last saw at most once per ``eligible_providers()`` call.
    """

    SINGLETON_ID = 1

    generation = models.PositiveBigIntegerField(default=0)
    requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "reload signal"

    def __str__(self) -> str:
        return f"generation {self.generation}"

    @classmethod
    def current(cls) -> int:
        value = cls.objects.filter(pk=cls.SINGLETON_ID).values_list("generation", flat=True).first()
        return value or 0

    @classmethod
    def bump(cls) -> int:
        cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        cls.objects.filter(pk=cls.SINGLETON_ID).update(
            generation=models.F("generation") + 1, requested_at=timezone.now()
        )
        return cls.current()
