"""API representations of providers and of call outcomes. The key is write-only: reads show a hint at most."""

from __future__ import annotations

from copy import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from plugins.models import Plugin

from .models import Provider
from .secrets import is_encrypted

HEALTH_FIELDS = [
    "healthy",
    "last_checked_at",
    "last_error",
    "last_latency_ms",
    "consecutive_failures",
    "circuit_open_until",
]


class ProviderSerializer(serializers.ModelSerializer):
    """A provider; validation is the model's own ``clean()`` and field validators, run on a copy."""

    plugin = serializers.SlugRelatedField(
        slug_field="key",
        queryset=Plugin.objects.all(),
        help_text="The plugin's key, e.g. plugins.builtin.openrouter_provider:OpenRouterPlugin (see /api/plugins/).",
        error_messages={
            "does_not_exist": "Unknown plugin {value!r}: use a key listed by /api/plugins/ "
            "(module.path:AttributeName).",
            "invalid": "Enter a plugin key as a string.",
        },
    )
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=4000,
        style={"input_type": "password"},
        help_text="A literal key (stored encrypted) or a reference such as ${OPENROUTER_API_KEY}. Never returned. "
        "On update, omitted or blank keeps the stored key; send clear_api_key=true to remove it.",
    )
    clear_api_key = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text="Remove the stored key (use the plugin's variable)."
    )
    api_key_set = serializers.BooleanField(read_only=True, help_text="Whether a key will be sent.")
    api_key_hint = serializers.CharField(
        read_only=True, help_text="Last four characters of a stored key, the ${VAR} reference, or 'env VAR'."
    )
    circuit_state = serializers.SerializerMethodField(help_text="closed, open or half-open.")
    warnings = serializers.SerializerMethodField(help_text="Advice that did not block saving.")

    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "plugin",
            "enabled",
            "priority",
            "base_url",
            "model",
            "api_key",
            "clear_api_key",
            "api_key_set",
            "api_key_hint",
            "timeout",
            "max_tokens",
            "temperature",
            "extra_params",
            "extra_headers",
            "notes",
            *HEALTH_FIELDS,
            "circuit_state",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [*HEALTH_FIELDS, "created_at", "updated_at"]

    def get_circuit_state(self, obj: Provider) -> str:
        return obj.circuit_state()

    def get_warnings(self, obj: Provider) -> list[str]:
        return obj.model_warnings()

    def validate_api_key(self, value: str) -> str:
        value = value.strip()
        if is_encrypted(value):
            raise serializers.ValidationError("Enter the key itself or a ${VAR} reference, not a stored token.")
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs.pop("clear_api_key", False):
            attrs["api_key"] = ""
        elif self.instance is not None and not attrs.get("api_key", "x"):
            attrs.pop("api_key")  # blank on update keeps the stored key, like the admin form
        candidate = copy(self.instance) if self.instance is not None else Provider()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            # Uniqueness is checked by the serializer's own validators, with a field-named error.
            candidate.full_clean(validate_unique=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from None
        return attrs


class CallOutcomeSerializer(serializers.Serializer):
    """One health check or test call, as the API reports it (errors are already secret-scrubbed)."""

    provider = serializers.IntegerField(source="provider.pk", help_text="The provider's id.")
    name = serializers.CharField(source="provider.name")
    purpose = serializers.CharField()
    ok = serializers.BooleanField()
    healthy = serializers.CharField(source="provider.healthy", help_text="The provider's health after the call.")
    circuit_state = serializers.SerializerMethodField()
    latency_ms = serializers.IntegerField()
    error_kind = serializers.CharField()
    error = serializers.CharField()

    def get_circuit_state(self, outcome) -> str:
        return outcome.provider.circuit_state()


class SampleResultSerializer(CallOutcomeSerializer):
    content = serializers.CharField()
    model = serializers.CharField()
    usage = serializers.SerializerMethodField()

    def get_usage(self, outcome) -> dict:
        usage = outcome.response.usage if outcome.response is not None else None
        return usage if isinstance(usage, dict) else {}


class SamplePromptSerializer(serializers.Serializer):
    """Optional prompts for a test call; the providers app knows no ticker prompt, so it has neutral defaults."""

    system_prompt = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    user_prompt = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ReloadResultSerializer(serializers.Serializer):
    generation = serializers.IntegerField(help_text="The new reload generation every process will pick up.")
    plugins = serializers.CharField(help_text="Summary of the plugin rescan.")
