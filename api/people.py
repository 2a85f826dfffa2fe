"""Serialised shapes shared by several doors' responses: a person as others see them."""

from rest_framework import serializers


class PersonSerializer(serializers.Serializer):
    """What a colleague sees of someone: never their email."""

    id = serializers.IntegerField(read_only=True)
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user) -> str:
        return user.display_name or "A colleague"
