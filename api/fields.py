"""Serializer fields the API shares beyond DRF's own."""

from rest_framework import serializers


class WholeNumberField(serializers.IntegerField):
    """An integer written in ASCII digits: DRF's own reads "٣" or "３" as 3, which no client
    sends on purpose."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(WholeNumberField):
    """A row's id: a positive integer no database column could overflow (a larger one would
    reach the query and fail there rather than be refused here)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)
