"""Query filters of the plugin API."""

import django_filters

from plugins.models import Plugin


class PluginFilterSet(django_filters.FilterSet):
    class Meta:
        model = Plugin
        fields = ["status", "enabled", "category", "source"]
