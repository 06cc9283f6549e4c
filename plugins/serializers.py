"""API representations of plugins and of a sync report."""

from copy import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from plugins.models import DISCOVERED_FIELDS, Plugin


class PluginSerializer(serializers.ModelSerializer):
    """A plugin as discovered; only ``enabled`` is writable, and only to a value ``Plugin.clean()`` accepts."""

    is_usable = serializers.BooleanField(read_only=True, help_text="Enabled and valid: providers may use it.")

    class Meta:
        model = Plugin
        fields = [*DISCOVERED_FIELDS, "enabled", "is_usable"]
        read_only_fields = DISCOVERED_FIELDS

    def validate(self, attrs):
        if self.instance is not None:
            # The model's own rule, checked on a copy so a refused change leaves the instance untouched.
            candidate = copy(self.instance)
            for name, value in attrs.items():
                setattr(candidate, name, value)
            try:
                candidate.clean()
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class SyncEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField()
    source = serializers.ChoiceField(choices=Plugin.Source.choices)
    status = serializers.ChoiceField(choices=Plugin.Status.choices)
    enabled = serializers.BooleanField()
    error = serializers.CharField()
    change = serializers.ChoiceField(choices=["new", "updated", "unchanged", "vanished"])


class SyncReportSerializer(serializers.Serializer):
    """The result of ``POST /api/plugins/rescan/`` (and of ``manage.py syncplugins``)."""

    summary = serializers.CharField()
    total = serializers.IntegerField()
    valid = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    vanished = serializers.IntegerField()
    plugins = SyncEntrySerializer(many=True)
