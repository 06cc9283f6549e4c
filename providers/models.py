"""Operators' configuration of plugins (Provider), the calls made through them (Attempt), and reload signals."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Provider(models.Model):
    """One configured use of a plugin: key, endpoint, model, limits, priority, plus its health state."""

    class Health(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        YES = "yes", "Healthy"
        NO = "no", "Down"

    name = models.CharField(max_length=100, unique=True)
    plugin = models.ForeignKey("plugins.Plugin", on_delete=models.PROTECT, related_name="providers")
    enabled = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    base_url = models.CharField(max_length=500, blank=True, help_text="Blank: the plugin's default.")
    model = models.CharField(max_length=200)
    api_key = models.TextField(
        blank=True,
        help_text="A literal key (stored encrypted) or a reference such as ${OPENROUTER_API_KEY}. "
        "Blank: the plugin's conventional environment variable.",
    )
    timeout = models.FloatField(default=30, validators=[MinValueValidator(1), MaxValueValidator(300)])
    max_tokens = models.PositiveIntegerField(default=512, validators=[MinValueValidator(1), MaxValueValidator(32768)])
    temperature = models.FloatField(default=0.7, validators=[MinValueValidator(0), MaxValueValidator(2)])
    extra_params = models.JSONField(default=dict, blank=True)
    extra_headers = models.JSONField(default=dict, blank=True)
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
