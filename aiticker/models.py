"""The ticker's data: what to ask (PromptProfile), how the loop behaves (TickerSettings), what it produced
(Message), what it showed when (Tick), and which process may run it (TickerLease)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


class PromptProfileQuerySet(models.QuerySet):
    def active(self) -> PromptProfile | None:
        """The profile the engine uses: the active one, else the oldest (so a deleted active profile never
        leaves the ticker without prompts)."""
        return self.filter(active=True).first() or self.order_by("id").first()


class PromptProfile(models.Model):
    """A pair of prompts the ticker sends to providers. Exactly one profile is active at a time."""

    name = models.CharField(max_length=100, unique=True)
    system_prompt = models.TextField(blank=True, help_text="Sets the voice and the rules (length, tone).")
    user_prompt = models.TextField(help_text="The request sent each tick.")
    active = models.BooleanField(default=False, help_text="Activating this profile deactivates the others.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromptProfileQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # The database itself refuses a second active profile, whatever path the write takes.
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="aiticker_one_active_profile"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (active)" if self.active else self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.active:
                # Deactivate the others first, in the same transaction, so the partial unique constraint holds.
                PromptProfile.objects.filter(active=True).exclude(pk=self.pk).update(active=False)
            super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if not (self.user_prompt or "").strip():
            raise ValidationError({"user_prompt": "The user prompt cannot be empty."})
        if not self.active and self.pk is not None:
            was_active = PromptProfile.objects.filter(pk=self.pk, active=True).exists()
            if was_active:
                raise ValidationError(
                    {"active": "One profile must stay active: activate another profile instead of deactivating it."}
                )


def _default_health_check_interval() -> float:
    return settings.AITICKER_HEALTH_CHECK_INTERVAL


class TickerSettings(models.Model):
    """The loop's knobs, one row (pk=1), editable in the admin; the loop re-reads it every tick."""

    SINGLETON_PK = 1

    interval_seconds = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(86400)],
        help_text="Seconds between ticks.",
    )
    reuse_probability = models.FloatField(
        default=0.2,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Chance (0–1) that a tick re-shows an archived message instead of asking a provider.",
    )
    recent_limit = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text="A reused message is never one of this many most recently shown.",
    )
    fuzzy_threshold = models.FloatField(
        default=90.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
        help_text="Similarity (0–100) at which a new answer counts as a duplicate of an archived one. "
        "100: exact duplicates only; 0: near-duplicate detection off (exact duplicates are still refused).",
    )
    archive_limit = models.PositiveIntegerField(
        default=1000,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text="Messages kept; the oldest are pruned (never the one on screen).",
    )
    health_check_interval = models.FloatField(
        default=_default_health_check_interval,
        validators=[MinValueValidator(1.0), MaxValueValidator(86400.0)],
        help_text="Seconds between the loop's (free) health checks of every enabled provider.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ticker settings"
        verbose_name_plural = "ticker settings"

    def __str__(self) -> str:
        return "Ticker settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The ticker settings cannot be deleted; edit them instead.")

    @classmethod
    def load(cls) -> TickerSettings:
        """The settings row, created with defaults on first use."""
        obj, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return obj


class Message(models.Model):
    """One accepted AI answer. Provider and model names are copied so history survives a provider's deletion."""

    content = models.TextField()
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    provider_name = models.CharField(max_length=100, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    prompt_profile = models.ForeignKey(
        PromptProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        text = self.content if len(self.content) <= 60 else self.content[:59] + "…"
        return f"#{self.pk}: {text}"


class Tick(models.Model):
    """One turn of the loop: what was shown, why, and the provider attempts that served it.

    Deleting a message deletes its display records (CASCADE): an operator who deletes an offending message in
    the admin takes it off the screen at once, the previous display becoming the current one.
    """

    class Source(models.TextChoices):
        FRESH = "fresh", "Fresh"
        REUSED = "reused", "Reused"
        ARCHIVE = "archive", "Archive (fallback)"
        NONE = "none", "Nothing to show"

    started_at = models.DateTimeField()
    shown_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="ticks")
    source = models.CharField(max_length=16, choices=Source.choices, db_index=True)
    detail = models.TextField(blank=True, help_text="Why nothing new was shown (failed or duplicate answers).")
    duration_ms = models.PositiveIntegerField(default=0)
    interval_seconds = models.FloatField(
        null=True,
        blank=True,
        help_text="The loop's interval when this tick ran (runticker --interval, else the setting); "
        "pages and /api/health/ time the next tick from it.",
    )
    attempts = models.ManyToManyField("providers.Attempt", blank=True, related_name="ticks")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Tick #{self.pk} {self.source}"


class TickerLease(models.Model):
    """The single row that decides which ``runticker`` process may tick (see ``aiticker.lease``)."""

    SINGLETON_PK = 1

    holder = models.CharField(max_length=255, blank=True, help_text="host:pid:token of the holding process.")
    acquired_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ticker lease"

    def __str__(self) -> str:
        return f"Lease held by {self.holder}" if self.holder else "Lease (free)"
