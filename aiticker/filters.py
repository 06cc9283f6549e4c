"""Filters of the messages API."""

from __future__ import annotations

import django_filters

from .models import Message, Tick


class MessageFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="provider_name", lookup_expr="iexact", help_text="Provider name.")
    profile = django_filters.CharFilter(
        field_name="prompt_profile__name", lookup_expr="iexact", help_text="Prompt profile name."
    )
    source = django_filters.ChoiceFilter(
        choices=Tick.Source.choices,
        method="filter_source",
        help_text="Messages shown at least once with this source.",
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Message
        fields = ["provider", "profile", "source", "created_after", "created_before"]

    def filter_source(self, queryset, name, value):
        return queryset.filter(pk__in=Tick.objects.filter(source=value).values("message_id"))
