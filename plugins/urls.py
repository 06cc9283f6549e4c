"""API routes of the plugins app."""

from aiticker.routers import OptionalSlashRouter

router = OptionalSlashRouter()

urlpatterns = router.urls
