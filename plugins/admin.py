"""Admin of plugins: what discovery found, read-only except the operator's ``enabled`` choice."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from plugins.models import DISCOVERED_FIELDS, Plugin
from plugins.sync import sync_plugins


@admin.register(Plugin)
class PluginAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "version", "source", "status", "enabled", "category", "last_seen"]
    list_display_links = ["key"]
    list_editable = ["enabled"]
    list_filter = ["source", "status", "enabled", "category"]
    search_fields = ["key", "name", "author", "description"]
    actions = ["enable_plugins", "disable_plugins", "rescan_plugins"]

    class Media:
        # A stylesheet, not a style attribute: the Content-Security-Policy allows no inline styles.
        css = {"all": ["plugins/admin.css"]}

    fieldsets = [
        (None, {"fields": ["key", "name", "version", "enabled", "status", "error_text"]}),
        (
            "Metadata",
            {
                "fields": [
                    "author",
                    "description",
                    "category",
                    "api_version",
                    "supported_features",
                    "requires",
                    "homepage",
                    "documentation",
                    "license",
                ]
            },
        ),
        (
            "Provider defaults",
            {"fields": ["provider_name", "supported_models", "default_base_url", "default_model", "api_key_env"]},
        ),
        ("Origin", {"fields": ["source", "file_path", "first_seen", "last_seen"]}),
    ]
    # Everything but `enabled` comes from discovery; the full error is shown preformatted instead of the field.
    readonly_fields = [("error_text" if name == "error" else name) for name in DISCOVERED_FIELDS]

    def has_add_permission(self, request):
        return False  # rows come from discovery only

    def has_delete_permission(self, request, obj=None):
        # Only the leftovers of removed code may go; a present plugin would just come back on the next scan.
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == Plugin.Status.NOT_FOUND)

    @admin.display(description="Error")
    def error_text(self, obj: Plugin) -> str:
        if not obj.error:
            return "—"
        return format_html('<pre class="plugin-error">{}</pre>', obj.error)

    @admin.action(description="Enable selected plugins", permissions=["change"])
    def enable_plugins(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable selected plugins", permissions=["change"])
    def disable_plugins(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description="Rescan plugin code (all plugins)", permissions=["change"])
    def rescan_plugins(self, request, queryset):
        report = sync_plugins()
        self.message_user(request, f"Rescanned: {report.summary()}.", messages.SUCCESS)
        for entry in report.problems:
            self.message_user(request, f"{entry.key} is {entry.status}: {entry.error}", messages.WARNING)

    def _set_enabled(self, request, queryset, enabled: bool) -> None:
        changed, refused = 0, []
        for plugin in queryset:
            if plugin.enabled == enabled:
                continue
            plugin.enabled = enabled
            try:
                plugin.full_clean()
            except ValidationError as exc:
                reason = "; ".join(exc.message_dict.get("enabled", exc.messages))
                refused.append(f"{plugin.key}: {reason}")
                continue
            plugin.save(update_fields=["enabled"])
            changed += 1
        verb = "Enabled" if enabled else "Disabled"
        if changed or not refused:
            self.message_user(request, f"{verb} {changed} plugin(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Refused to enable {line}", messages.ERROR)
