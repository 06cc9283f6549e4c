"""The ticker's REST endpoints: the current message and health (public), the message archive (staff)."""

from __future__ import annotations

from django.db.models import Count, Max
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from .filters import MessageFilter
from .models import Message
from .serializers import HealthSerializer, MessageSerializer, TickerSerializer
from .status import current_ticker, ticker_health


class PublicAPIView(APIView):
    """Anyone may read; requests are throttled per client (settings REST_FRAMEWORK throttle rate "public")."""

    permission_classes = [AllowAny]
    # No session authentication: a public GET needs no identity, and skipping it saves the session query.
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"


class TickerView(PublicAPIView):
    @extend_schema(responses=TickerSerializer, summary="The message on the ticker now, or the empty state.")
    def get(self, request):
        return Response(current_ticker())


class HealthView(PublicAPIView):
    @extend_schema(
        responses={200: HealthSerializer, 503: HealthSerializer},
        summary="Loop liveness, message count and provider health; 503 when the loop has stopped ticking.",
    )
    def get(self, request):
        report, alive = ticker_health()
        return Response(report, status=status.HTTP_200_OK if alive else status.HTTP_503_SERVICE_UNAVAILABLE)


class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """The message archive, newest first (staff only)."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    queryset = (
        Message.objects.select_related("prompt_profile")
        .annotate(times_shown=Count("ticks"), last_shown_at=Max("ticks__shown_at"))
        .order_by("-created_at", "-id")
    )
