"""Signing in: email + password, or a Firebase ID token, for the API's own JWTs."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenBlacklistView, TokenObtainPairView, TokenRefreshView

from accounts.services import sign_out_everywhere, user_from_firebase_token
from api.throttling import SignInByAccount, SignInByAddress


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SignIn(TokenObtainPairView):
    """Email and password for an access token (short-lived) and a refresh token."""

    throttle_classes = [SignInByAddress, SignInByAccount]


class Refresh(TokenRefreshView):
    """A refresh token for a new pair; the old refresh token stops working (rotation)."""

    throttle_classes = [SignInByAddress]


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
    throttle_classes = [SignInByAddress]

    @extend_schema(request=FirebaseTokenSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        data = FirebaseTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_from_firebase_token(id_token=data.validated_data["id_token"])
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})
