"""REST API of providers (staff only): CRUD plus health checks, a test call and the reload signal."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import runtime
from .filters import ProviderFilterSet
from .health import check_providers
from .models import Provider
from .serializers import (
    CallOutcomeSerializer,
    ProviderSerializer,
    ReloadResultSerializer,
    SamplePromptSerializer,
    SampleResultSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List providers with their health and circuit state"),
    create=extend_schema(summary="Create a provider", description="`plugin` is the plugin key; the key is write-only."),
    retrieve=extend_schema(summary="One provider"),
    update=extend_schema(summary="Replace a provider (blank api_key keeps the stored key)"),
    partial_update=extend_schema(summary="Change some fields of a provider"),
    destroy=extend_schema(summary="Delete a provider (its attempts keep the provider's name)"),
)
class ProviderViewSet(viewsets.ModelViewSet):
    queryset = Provider.objects.select_related("plugin").order_by("priority", "name")
    serializer_class = ProviderSerializer
    filterset_class = ProviderFilterSet
    permission_classes = [permissions.IsAdminUser]
    lookup_value_regex = r"\d+"

    @extend_schema(summary="Run this provider's health check now", request=None, responses=CallOutcomeSerializer)
    @action(detail=True, methods=["post"])
    def health(self, request, pk=None):
        (outcome,) = check_providers([self.get_object()])
        return Response(CallOutcomeSerializer(outcome).data)

    @extend_schema(
        summary="One sample generation through this provider",
        description="Optional `system_prompt` / `user_prompt`; neutral defaults otherwise. Recorded as a test "
        "attempt; it updates the health columns but never the circuit.",
        request=SamplePromptSerializer,
        responses=SampleResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        provider = self.get_object()
        body = SamplePromptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = runtime.sample_generation(provider, **body.validated_data)
        return Response(SampleResultSerializer(outcome).data)

    @extend_schema(
        summary="Check every enabled provider now, concurrently",
        request=None,
        responses=CallOutcomeSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="health", url_name="health-all", pagination_class=None)
    def health_all(self, request):
        return Response(CallOutcomeSerializer(check_providers(), many=True).data)

    @extend_schema(
        summary="Rescan plugins, then make every process rebuild its providers",
        request=None,
        responses=ReloadResultSerializer,
    )
    @action(detail=False, methods=["post"])
    def reload(self, request):
        return Response(ReloadResultSerializer(runtime.request_reload()).data)
