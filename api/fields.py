"""Serializer fields the API shares beyond DRF's own."""

from rest_framework import serializers


class WholeNumberField(serializers.IntegerField):
    """An integer written in ASCII digits: DRF's own reads "٣" or "３" as 3, which no client
    sends on purpose."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)
