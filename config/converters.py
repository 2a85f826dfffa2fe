"""Path converters shared by every door's URLs."""


class Id:
    """A row id: digits that fit a 64-bit column (a longer number is no id, so no such path)."""

    regex = "[0-9]{1,18}"
    # What the OpenAPI schema says of it (SPECTACULAR_SETTINGS' PATH_CONVERTER_OVERRIDES): the
    # same integer as every id in a body, so a typed client passes it as it received it.
    openapi = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 10**18 - 1}

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class DeviceToken:
    """A push registration token as it appears in a path: printable, no slash, no longer than the
    column. Control characters (a NUL above all, which PostgreSQL refuses in text) make it no
    such path rather than a query."""

    regex = "[^/\\x00-\\x1f\\x7f]{1,512}"
    openapi = {"type": "string", "minLength": 1, "maxLength": 512}

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
