"""The signed-in person's own profile."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import password_change, profile_update
from api.auth import TokenPairSerializer, token_pair
from api.throttling import client_address
from privacy.selectors import account_export
from privacy.services import account_erasure_request
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
    pairs_across_teams = serializers.BooleanField(
        source="user.pairs_across_teams",
        help_text="may be suggested as a pair partner to, and be suggested, people of teams my team works with",
    )
    organisation = OrganisationSerializer(allow_null=True)
    teams = MyTeamSerializer(source="memberships", many=True)
    is_coach = serializers.BooleanField()


class ProfileChangeSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    locale = serializers.CharField(max_length=16, required=False)
    pairs_across_teams = serializers.BooleanField(required=False)


class ErasureSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=256, trim_whitespace=False, required=False)
    id_token = serializers.CharField(max_length=8192, required=False)


class ErasureScheduledSerializer(serializers.Serializer):
    erasure_due_at = serializers.DateTimeField()


class Me(APIView):
    @extend_schema(responses=ProfileSerializer)
    def get(self, request):
        """My profile: email, display name, time zone, locale, organisation, teams and whether I coach."""
        return Response(ProfileSerializer(profile_for(user=request.user)).data)

    @extend_schema(request=ProfileChangeSerializer, responses=ProfileSerializer)
    def patch(self, request):
        """Change my display name, time zone or locale; only the fields sent change."""
        changes = ProfileChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        user = profile_update(user=request.user, **changes.validated_data)
        return Response(ProfileSerializer(profile_for(user=user)).data)

    @extend_schema(request=ErasureSerializer, responses={202: ErasureScheduledSerializer})
    def delete(self, request):
        """Erase the account and everything about it, after a grace period in which signing in calls it off.

        Proven with `password`, or for a Firebase account `id_token`: a Firebase ID token from
        a sign-in of the last few minutes. The person is signed out everywhere at once; the
        erasure is carried out at `erasure_due_at` (ERASURE_GRACE_DAYS later), for good, unless
        they sign in again before."""
        data = ErasureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        due = account_erasure_request(
            user=request.user,
            address=client_address(request),
            password=data.validated_data.get("password"),
            firebase_id_token=data.validated_data.get("id_token"),
        )
        return Response({"erasure_due_at": due}, status=status.HTTP_202_ACCEPTED)


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
        password_change(user=request.user, **data.validated_data, address=client_address(request))
        return Response(token_pair(request.user))
