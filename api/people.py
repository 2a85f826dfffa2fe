"""Serialised shapes shared by several responses: a person as others see them."""

from rest_framework import serializers

from accounts.presenters import public_person


class PersonSerializer(serializers.Serializer):
    """What a colleague sees of someone: never their email."""

    id = serializers.IntegerField()
    display_name = serializers.CharField()

    def to_representation(self, user):
        return public_person(user)
