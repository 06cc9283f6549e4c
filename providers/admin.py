"""Admin of providers (configuration, health, actions) and a read-only log of attempts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html

from . import runtime
from .forms import ProviderAdminForm
from .health import check_providers
from .models import Attempt, Provider


def _badge(value: str, label: str) -> str:
    return format_html('<span class="provider-badge provider-badge--{}">{}</span>', value, label)


HEALTH_FIELDS = [
    "api_key_hint",
    "healthy",
    "circuit_badge",
    "last_checked_at",
    "last_latency_ms",
    "last_error",
    "consecutive_failures",
    "circuit_open_until",
    "created_at",
    "updated_at",
]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderAdminForm
    list_display = [
        "name",
        "priority",
        "enabled",
        "plugin",
        "model",
        "health_badge",
        "circuit_badge",
        "latency",
        "short_error",
    ]
    list_display_links = ["name"]
    list_editable = ["priority"]
    list_filter = ["enabled", "healthy", "plugin"]
    list_select_related = ["plugin"]
    search_fields = ["name", "model", "base_url", "plugin__key", "plugin__name", "notes"]
    ordering = ["priority", "name"]
    actions = ["test_connection", "run_health_check", "enable_providers", "disable_providers"]
    # Health state is written by calls and checks, never typed in.
    readonly_fields = HEALTH_FIELDS
    fieldsets = [
        (
            "Connection",
            {"fields": ["name", "plugin", "enabled", "priority", "base_url", "api_key", "clear_api_key"]},
        ),
        ("Model & limits", {"fields": ["model", "max_tokens", "temperature", "timeout"]}),
        ("Advanced", {"classes": ["collapse"], "fields": ["extra_params", "extra_headers", "notes"]}),
        ("Health", {"fields": HEALTH_FIELDS}),
    ]

    class Media:
        css = {"all": ["providers/admin.css"]}

    @admin.display(description="Health", ordering="healthy")
    def health_badge(self, obj: Provider) -> str:
        return _badge(obj.healthy, obj.get_healthy_display())

    @admin.display(description="Circuit", ordering="circuit_open_until")
    def circuit_badge(self, obj: Provider) -> str:
        state = obj.circuit_state()
        return _badge(state, Provider.Circuit(state).label)

    @admin.display(description="Latency", ordering="last_latency_ms")
    def latency(self, obj: Provider) -> str:
        return f"{obj.last_latency_ms} ms" if obj.last_latency_ms is not None else "—"

    @admin.display(description="Last error")
    def short_error(self, obj: Provider) -> str:
        return truncatechars(obj.last_error, 80) if obj.last_error else ""

    @admin.display(description="API key")
    def api_key_hint(self, obj: Provider) -> str:
        return obj.api_key_hint or "—"

    def save_model(self, request, obj: Provider, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in obj.model_warnings():
            messages.warning(request, f"{obj.name}: {warning}")

    @admin.action(description="Test connection (one sample generation)")
    def test_connection(self, request, queryset) -> None:
        for provider in queryset.select_related("plugin"):
            outcome = runtime.sample_generation(provider)
            if outcome.ok:
                messages.success(
                    request, f"{provider.name}: OK in {outcome.latency_ms} ms — {truncatechars(outcome.content, 120)}"
                )
            else:
                messages.error(request, f"{provider.name}: {outcome.error_kind} — {outcome.error}")

    @admin.action(description="Run health check")
    def run_health_check(self, request, queryset) -> None:
        for outcome in check_providers(queryset.select_related("plugin")):
            if outcome.ok:
                messages.success(request, f"{outcome.provider.name}: healthy ({outcome.latency_ms} ms)")
            else:
                messages.error(request, f"{outcome.provider.name}: down — {outcome.error_kind}: {outcome.error}")

    @admin.action(description="Enable selected providers")
    def enable_providers(self, request, queryset) -> None:
        enabled = 0
        for provider in queryset.select_related("plugin"):
            provider.enabled = True
            try:
                provider.full_clean()
            except ValidationError as exc:
                messages.error(request, f"{provider.name}: {' '.join(sum(exc.message_dict.values(), []))}")
                continue
            provider.save(update_fields=["enabled", "updated_at"])
            enabled += 1
        if enabled:
            messages.success(request, f"Enabled {enabled} provider(s).")

    @admin.action(description="Disable selected providers")
    def disable_providers(self, request, queryset) -> None:
        count = queryset.update(enabled=False)
        messages.success(request, f"Disabled {count} provider(s); they stay stored and are no longer used.")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Every call made through a provider, for diagnosis; written only by the runtime."""

    list_display = [
        "created_at",
        "provider_name",
        "purpose",
        "ok",
        "error_kind",
        "latency_ms",
        "total_tokens",
        "short_error",
    ]
    list_filter = ["purpose", "ok", "error_kind", "provider"]
    search_fields = ["provider_name", "model", "error"]
    date_hierarchy = "created_at"
    list_select_related = ["provider"]

    @admin.display(description="Error")
    def short_error(self, obj: Attempt) -> str:
        return truncatechars(obj.error, 80) if obj.error else ""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
