"""The ticker's pages."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("embed/", views.embed, name="embed"),
    # Browsers ask for /favicon.ico on every page, the admin's included; answer with the ticker's icon.
    path("favicon.ico", RedirectView.as_view(url=static("aiticker/favicon.svg"), permanent=True)),
]
