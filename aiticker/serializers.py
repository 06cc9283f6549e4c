"""API representations of the ticker's data."""

from __future__ import annotations

from rest_framework import serializers

from .models import Message


class MessageSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider_name", read_only=True)
    model = serializers.CharField(source="model_name", read_only=True)
    profile = serializers.CharField(source="prompt_profile.name", read_only=True, default=None, allow_null=True)
    times_shown = serializers.IntegerField(read_only=True)
    last_shown_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "content",
            "provider",
            "provider_id",
            "model",
            "profile",
            "prompt_profile_id",
            "tokens",
            "latency_ms",
            "created_at",
            "times_shown",
            "last_shown_at",
        ]
        read_only_fields = fields


class TickerSerializer(serializers.Serializer):
    """The current message (``state`` "ok"), or the no-message state ("empty") with ``content`` null."""

    state = serializers.ChoiceField(choices=["ok", "empty"])
    content = serializers.CharField(allow_null=True)
    provider = serializers.CharField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=["fresh", "reused", "archive", "none"], allow_null=True)
    shown_at = serializers.DateTimeField(allow_null=True)
    message_id = serializers.IntegerField(allow_null=True)
    next_tick_at = serializers.DateTimeField(allow_null=True)
    interval_seconds = serializers.FloatField()
    detail = serializers.CharField(allow_null=True)


class ProviderStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    health = serializers.ChoiceField(choices=["healthy", "unknown", "down"])
    circuit = serializers.ChoiceField(choices=["closed", "open", "half-open"])
    last_checked_at = serializers.DateTimeField(allow_null=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "empty", "stale"])
    last_tick_at = serializers.DateTimeField(allow_null=True)
    last_tick_age_seconds = serializers.FloatField(allow_null=True)
    interval_seconds = serializers.FloatField()
    stale_after_seconds = serializers.FloatField()
    message_count = serializers.IntegerField()
    providers = ProviderStatusSerializer(many=True)
