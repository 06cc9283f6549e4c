"""REST API of plugins: a public read-only listing, staff-only enable/disable and rescan."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from plugins.filters import PluginFilterSet
from plugins.models import Plugin
from plugins.serializers import PluginSerializer, SyncReportSerializer
from plugins.sync import sync_plugins


@extend_schema_view(
    list=extend_schema(summary="List discovered plugins", description="Public: the plugin guide curls it."),
    retrieve=extend_schema(summary="One plugin by key (module.path:AttributeName)"),
    partial_update=extend_schema(
        summary="Enable or disable a plugin (staff)",
        description="Only `enabled` is writable; a plugin that is not valid cannot be enabled (400).",
    ),
)
class PluginViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    queryset = Plugin.objects.all()
    serializer_class = PluginSerializer
    filterset_class = PluginFilterSet
    lookup_field = "key"
    # Keys are object references such as plugins.custom.my_provider:MyCustomPlugin.
    lookup_value_regex = r"[\w.:]+"
    # No PUT: every field but `enabled` comes from code. No create/delete: rows come from discovery.
    http_method_names = ["get", "patch", "post", "head", "options"]
    throttle_scope = "public"

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [permissions.IsAdminUser()]

    def get_throttles(self):
        if self.action in ("list", "retrieve"):
            return [ScopedRateThrottle()]
        return []

    @extend_schema(
        summary="Rescan plugin code and update the table (staff)", request=None, responses={200: SyncReportSerializer}
    )
    @action(detail=False, methods=["post"])
    def rescan(self, request):
        report = sync_plugins()
        return Response(SyncReportSerializer(report.to_dict()).data, status=status.HTTP_200_OK)
