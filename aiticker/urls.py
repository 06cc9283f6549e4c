"""Top-level URLs: admin, the REST API with its schema and docs, and the ticker pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's initialiser as a file (?script=): the CSP forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("plugins.urls")),
    path("api/", include("providers.urls")),
    path("api/", include("aiticker.api_urls")),
    path("", include("aiticker.web_urls")),
]
