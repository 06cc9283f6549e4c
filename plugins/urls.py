"""API routes of the plugins app."""

from aiticker.routers import OptionalSlashRouter
from plugins.api import PluginViewSet

router = OptionalSlashRouter()
router.register("plugins", PluginViewSet, basename="plugin")

urlpatterns = router.urls
