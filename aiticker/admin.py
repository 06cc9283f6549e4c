"""Admin for the ticker: prompt profiles, the settings singleton, and the read-only message and tick history.

Message texts are untrusted model output; the admin renders them through its normal escaping (never
``mark_safe``), shortened in lists.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .models import Message, PromptProfile, Tick, TickerLease, TickerSettings


@admin.register(PromptProfile)
class PromptProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "system_prompt", "user_prompt"]
    actions = ["activate"]

    @admin.action(description="Make the selected profile the active one")
    def activate(self, request: HttpRequest, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one profile to activate.", level=messages.ERROR)
            return
        profile = queryset.get()
        profile.active = True
        profile.save()
        self.message_user(request, f"“{profile.name}” is now the active profile.", level=messages.SUCCESS)


@admin.register(TickerSettings)
class TickerSettingsAdmin(admin.ModelAdmin):
    fieldsets = [
        ("Loop", {"fields": ["interval_seconds", "health_check_interval"]}),
        ("Messages", {"fields": ["reuse_probability", "recent_limit", "fuzzy_threshold", "archive_limit"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TickerSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # One row: the list would only ever show one link, so go straight to it.
        settings_row = TickerSettings.load()
        return HttpResponseRedirect(reverse("admin:aiticker_tickersettings_change", args=[settings_row.pk]))


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the loop only; operators may read it and delete (e.g. an offending message)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "short_content", "provider_name", "model_name", "prompt_profile", "created_at"]
    list_filter = ["provider_name", "prompt_profile", "created_at"]
    search_fields = ["content", "provider_name", "model_name"]
    date_hierarchy = "created_at"
    fields = [
        "content",
        "provider",
        "provider_name",
        "model_name",
        "prompt_profile",
        "tokens",
        "latency_ms",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="content")
    def short_content(self, obj: Message) -> str:
        return Truncator(obj.content).chars(100)


@admin.register(Tick)
class TickAdmin(ReadOnlyAdmin):
    list_display = ["id", "shown_at", "source", "message_link", "duration_ms", "short_detail"]
    list_filter = ["source", "shown_at"]
    fields = ["started_at", "shown_at", "source", "message_link", "detail", "duration_ms", "attempt_list"]
    readonly_fields = fields
    list_select_related = ["message"]

    @admin.display(description="message")
    def message_link(self, obj: Tick) -> str:
        if obj.message_id is None:
            return "—"
        url = reverse("admin:aiticker_message_change", args=[obj.message_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.message.content).chars(80))

    @admin.display(description="detail")
    def short_detail(self, obj: Tick) -> str:
        return Truncator(obj.detail).chars(80)

    @admin.display(description="attempts")
    def attempt_list(self, obj: Tick) -> str:
        attempts = obj.attempts.order_by("id")
        if not attempts:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {} ms {}</li>",
                (
                    (a.provider_name, "ok" if a.ok else a.error_kind or "failed", a.latency_ms, a.error[:200])
                    for a in attempts
                ),
            ),
        )


@admin.register(TickerLease)
class TickerLeaseAdmin(ReadOnlyAdmin):
    list_display = ["holder", "acquired_at", "renewed_at", "expires_at"]
    readonly_fields = ["holder", "acquired_at", "renewed_at", "expires_at"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
