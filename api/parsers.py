"""The API's JSON parser: DRF's, except that a body nested deeper than Python's JSON decoder
can follow (10,000 levels of `[[[...]]]` in a few kilobytes) is a 400 `parse_error` like any
other malformed body, instead of a RecursionError and a 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
