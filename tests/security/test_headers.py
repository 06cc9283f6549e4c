"""Security headers on every kind of page, framing only for /embed/, and a deploy check that passes.

The CSP is ``'self'`` only. A page that still carried an inline ``<script>`` would be silently broken by it,
so the pages are also checked for inline scripts, not only for the header.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import override_settings

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)

PUBLIC_PAGES = ["/", "/embed/", "/api/ticker/", "/api/docs/", "/api/schema/", "/admin/login/"]
STAFF_PAGES = [
    "/admin/",
    "/admin/providers/provider/",
    "/admin/providers/provider/add/",
    "/admin/providers/attempt/",
    "/admin/plugins/plugin/",
    "/admin/aiticker/message/",
    "/admin/aiticker/promptprofile/add/",
    "/api/providers/",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def assert_strict_headers(response, path: str, *, framable: bool = False) -> None:
    assert response.status_code == 200, (path, response.status_code)
    csp = csp_directives(response)
    header = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, (path, header)
    assert csp["script-src"] == ["'self'"], (path, header)
    assert csp["default-src"] == ["'self'"], (path, header)
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], (path, header)
    assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert response.headers["Referrer-Policy"] == "same-origin", path
    if not framable:
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert csp["frame-ancestors"] == ["'none'"], (path, header)
    body = response.content.decode()
    if response.headers.get("Content-Type", "").startswith("text/html"):
        assert not INLINE_SCRIPT.search(body), (path, INLINE_SCRIPT.search(body).group(0))
        assert not INLINE_HANDLER.search(body), (path, INLINE_HANDLER.search(body).group(0))


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_a_strict_csp_and_the_usual_headers(client, path):
    assert_strict_headers(client.get(path), path, framable=path == "/embed/")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_admin_and_staff_api_pages_send_a_strict_csp_and_deny_framing(client, staff, mock_provider, path):
    client.force_login(staff)
    assert_strict_headers(client.get(path), path)


def test_the_api_docs_load_their_script_from_this_site(client):
    """Swagger UI's initialiser must be a same-origin file: the CSP blocks an inline one."""
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert sources and all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    initialiser = [src for src in sources if "script" in src and "swagger-ui" not in src]
    assert initialiser, sources
    response = client.get(initialiser[0])
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_api_docs_carry_no_inline_style_and_their_stylesheets_load(client):
    """An inline <style> would be blocked by the CSP: the docs page styles come from same-origin files."""
    page = client.get("/api/docs/").content.decode()

    assert "<style" not in page and "style=" not in page
    sheets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', page)
    assert len(sheets) == 2 and all(finders.find(path) for path in sheets), sheets


def test_embed_without_configured_origins_is_framable_by_this_site_only(client):
    response = client.get("/embed/")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert csp_directives(response)["frame-ancestors"] == ["'self'"]


def test_embed_allows_exactly_the_configured_origins_read_at_request_time(client):
    origins = ["https://obs.example.com", "https://kiosk.example.org:8443"]
    with override_settings(AITICKER_EMBED_FRAME_ANCESTORS=origins):
        response = client.get("/embed/")
    assert "X-Frame-Options" not in response.headers  # it cannot list origins; CSP decides alone
    assert csp_directives(response)["frame-ancestors"] == ["'self'", *origins]
    # The setting changed back: the next response follows it, with nothing cached from the last one.
    again = client.get("/embed/")
    assert csp_directives(again)["frame-ancestors"] == ["'self'"]
    assert again.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_configured_embed_origins_do_not_open_framing_of_other_pages(client):
    with override_settings(AITICKER_EMBED_FRAME_ANCESTORS=["https://obs.example.com"]):
        for path in ("/", "/api/ticker/", "/admin/login/"):
            response = client.get(path)
            assert response.headers["X-Frame-Options"] == "DENY", path
            assert csp_directives(response)["frame-ancestors"] == ["'none'"], path


# --- manage.py check --deploy -----------------------------------------------------------------------------

#: The production settings the README documents ("Running in production"), minus the host names.
PRODUCTION_ENVIRONMENT = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "ticker.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://ticker.example.com",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}


def manage(args: list[str], environment: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AITICKER_ENV_FILE": "",  # never a developer's .env
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def readme_production_variables() -> set[str]:
    text = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("### Running in production", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    return set(re.findall(r"^([A-Z_]+)=", section, re.MULTILINE))


@pytest.mark.subprocess
def test_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    from cryptography.fernet import Fernet

    environment = {
        **PRODUCTION_ENVIRONMENT,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "AITICKER_SECRETS_KEY": Fernet.generate_key().decode(),
        # As documented; `check` without --database does not connect, so no server is needed here.
        "DATABASE_URL": "postgres://aiticker:not-used@127.0.0.1:5432/aiticker",
    }
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], environment, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The README shows the same variables (the test's copy cannot quietly diverge from the docs).
    assert set(environment) <= readme_production_variables()


@pytest.mark.subprocess
def test_check_deploy_fails_on_the_development_defaults(tmp_path):
    """The test above can fail: without the production settings the same check refuses."""
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert warning in result.stderr, warning
