"""Path converters shared by every door's URLs."""


class Id:
    """A row id: digits that fit a 64-bit column (a longer number is no id, so no such path)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
