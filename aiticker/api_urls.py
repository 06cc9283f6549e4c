"""API routes of the ticker (included under /api/)."""

from django.urls import re_path

from aiticker.routers import OptionalSlashRouter

from . import api

router = OptionalSlashRouter()
router.register("messages", api.MessageViewSet, basename="message")

urlpatterns = router.urls + [
    re_path(r"^ticker/?$", api.TickerView.as_view(), name="ticker"),
    re_path(r"^health/?$", api.HealthView.as_view(), name="ticker-health"),
]
