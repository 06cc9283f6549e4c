"""API routes of the providers app."""

from aiticker.routers import OptionalSlashRouter
from providers.api import ProviderViewSet

router = OptionalSlashRouter()
router.register("providers", ProviderViewSet, basename="provider")

urlpatterns = router.urls
