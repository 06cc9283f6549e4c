"""Query filters of the provider API."""

import django_filters

from .models import Provider


class ProviderFilterSet(django_filters.FilterSet):
    plugin = django_filters.CharFilter(field_name="plugin__key", help_text="A plugin key.")

    class Meta:
        model = Provider
        fields = ["enabled", "plugin", "healthy"]
