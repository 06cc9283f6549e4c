"""The ticker's web pages: the dashboard at ``/`` and the framable ``/embed/`` view.

Both render the current message server-side (autoescaped) and then update it with ``ticker.js``, which inserts
text only through ``textContent``. No inline script or style anywhere: the CSP is ``'self'`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt, xframe_options_sameorigin
from django.views.decorators.http import require_safe

from .status import current_ticker, provider_statuses, recent_messages

#: Font sizes the embed accepts, in px; other values are clamped into this range.
EMBED_MIN_SIZE = 12
EMBED_MAX_SIZE = 160
EMBED_DEFAULT_SIZE = 32
#: Size classes the stylesheet defines (CSP forbids inline styles, so sizes snap to the nearest step).
EMBED_SIZE_STEPS = (12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160)


@dataclass(frozen=True)
class EmbedOptions:
    transparent: bool = False
    marquee: bool = False
    size: int = EMBED_DEFAULT_SIZE
    theme: str = "light"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def embed_options(query: QueryDict) -> EmbedOptions:
    """Read the embed's query parameters; malformed values are ignored (the default applies)."""
    size = EMBED_DEFAULT_SIZE
    raw_size = (query.get("size") or "").strip().lower().removesuffix("px")
    if raw_size.isdigit():
        wanted = min(max(int(raw_size), EMBED_MIN_SIZE), EMBED_MAX_SIZE)
        size = min(EMBED_SIZE_STEPS, key=lambda step: (abs(step - wanted), step))
    theme = (query.get("theme") or "").strip().lower()
    return EmbedOptions(
        transparent=_flag(query.get("transparent")),
        marquee=_flag(query.get("marquee")),
        size=size,
        theme=theme if theme in ("light", "dark") else "light",
    )


def _page_context(payload: dict) -> dict:
    return {"ticker": payload, "interval_seconds": payload.get("interval_seconds") or 30}


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    payload = current_ticker()
    context = _page_context(payload)
    context["recent"] = recent_messages(limit=5, exclude_id=payload.get("message_id"))
    context["providers"] = provider_statuses()
    return render(request, "aiticker/dashboard.html", context)


@require_safe
def embed(request: HttpRequest) -> HttpResponse:
    context = _page_context(current_ticker())
    context["options"] = embed_options(request.GET)
    response = render(request, "aiticker/embed.html", context)
    return _allow_framing(response)


def _allow_framing(response: HttpResponse) -> HttpResponse:
    """Let the configured origins frame the embed; with none configured, this site only.

    X-Frame-Options cannot list origins, so with origins configured it is dropped and CSP frame-ancestors
    (which every current browser honours) decides alone.
    """
    origins = list(settings.AITICKER_EMBED_FRAME_ANCESTORS)
    ancestors = ["'self'", *[o for o in origins if o != "'self'"]]
    frame_options = xframe_options_exempt if origins else xframe_options_sameorigin
    return frame_options(csp_replace({"frame-ancestors": ancestors})(lambda: response))()
