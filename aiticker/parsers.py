"""Request body parsing for the API."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested too deeply for Python's decoder with a 400.

    ``json.loads`` raises ``RecursionError`` (not ``ValueError``) for ``[[[[…]]]]`` a few thousand levels deep,
    which DRF's parser does not catch: a one-line hostile body would otherwise be a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
