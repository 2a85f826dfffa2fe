"""The signed-in person's own profile."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.services import password_change, profile_update
from api.auth import TokenPairSerializer
from privacy.selectors import account_export
from privacy.services import account_erase
from teams.selectors import profile_for


class MyTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="team.id")
    name = serializers.CharField(source="team.name")
    role = serializers.CharField()


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    display_name = serializers.CharField(source="user.display_name")
    time_zone = serializers.CharField(source="user.time_zone")
    locale = serializers.CharField(source="user.locale")
    organisation = OrganisationSerializer(allow_null=True)
    teams = MyTeamSerializer(source="memberships", many=True)
    is_coach = serializers.BooleanField()


class ProfileChangeSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    locale = serializers.CharField(max_length=16, required=False)


class Me(APIView):
    @extend_schema(responses=ProfileSerializer)
    def get(self, request):
        return Response(ProfileSerializer(profile_for(user=request.user)).data)

    @extend_schema(request=ProfileChangeSerializer, responses=ProfileSerializer)
    def patch(self, request):
        changes = ProfileChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        user = profile_update(user=request.user, **changes.validated_data)
        return Response(ProfileSerializer(profile_for(user=user)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Erase the account and everything about it, at once and for good."""
        account_erase(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class Export(APIView):
    """Everything stored about the signed-in person, reflections decrypted, as one JSON file."""

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request):
        response = JsonResponse(account_export(user=request.user), encoder=DjangoJSONEncoder)
        response["Content-Disposition"] = 'attachment; filename="humble-export.json"'
        response["Cache-Control"] = "no-store"
        return response


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class Password(APIView):
    """Change one's password (Django's validators apply). Every refresh token is revoked, and
    this device gets a fresh pair."""

    @extend_schema(request=PasswordChangeSerializer, responses=TokenPairSerializer)
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_change(user=request.user, **data.validated_data)
        refresh = RefreshToken.for_user(request.user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})
