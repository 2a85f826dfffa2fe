"""Signing in: email + password, or a Firebase ID token, for the API's own JWTs.

Both go through accounts.sign_in, which the dashboard and the admin use too: one account, one
set of limits, whichever door."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenBlacklistView, TokenRefreshView

from accounts.models import User
from accounts.services import firebase_sign_in, sign_out_everywhere
from accounts.sign_in import password_sign_in, sign_in_attempt
from api.throttling import client_address


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


def token_pair(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class SignInSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class SignIn(APIView):
    """Email and password for an access token (short-lived) and a refresh token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=SignInSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        data = SignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = password_sign_in(**data.validated_data, address=client_address(request))
        return Response(token_pair(user))


class Refresh(TokenRefreshView):
    """A refresh token for a new pair; the old refresh token stops working (rotation)."""

    def post(self, request, *args, **kwargs):
        sign_in_attempt(address=client_address(request))
        return super().post(request, *args, **kwargs)


class LogOut(TokenBlacklistView):
    """Revokes the refresh token given. Access tokens already issued expire on their own."""

    @extend_schema(responses={204: None})
    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogOutEverywhere(APIView):
    """Revokes every refresh token of the signed-in person and forgets all their devices."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        sign_out_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FirebaseTokenSerializer(serializers.Serializer):
    id_token = serializers.CharField(max_length=8192)


class FirebaseSignIn(APIView):
    """A Firebase Authentication ID token for the API's own tokens."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=FirebaseTokenSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        data = FirebaseTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = firebase_sign_in(id_token=data.validated_data["id_token"], address=client_address(request))
        return Response(token_pair(user))
