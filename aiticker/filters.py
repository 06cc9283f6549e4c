"""Filters of the messages API."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from .models import Message, Tick


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, handed to the database in UTC.

    ``9999-12-31T23:59:59-12:00`` parses, but converting it to UTC overflows year 9999: without this check the
    query itself raised ``OverflowError`` (a 500) instead of a 400 naming the filter. Python also accepts
    offsets PostgreSQL refuses (``-18:44``), so the value is sent converted to UTC.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "Enter a date/time between years 1 and 9999 in UTC.", code="invalid"
                ) from None
        return value


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


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
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Message
        fields = ["provider", "profile", "source", "created_after", "created_before"]

    def filter_source(self, queryset, name, value):
        return queryset.filter(pk__in=Tick.objects.filter(source=value).values("message_id"))
