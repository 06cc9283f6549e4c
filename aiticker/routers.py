"""The API router every app registers its viewsets on."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that match with and without the trailing slash.

    The plugin guide curls ``/api/plugins`` and ``POST /api/providers/reload``; a redirect from
    APPEND_SLASH would turn those POSTs into GETs, so both spellings are served directly.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
