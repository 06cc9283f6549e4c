"""The ticker's pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("embed/", views.embed, name="embed"),
]
