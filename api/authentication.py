"""Bearer access tokens, refused with one error a client can branch on.

simplejwt's own class answers a bad token with a list of every token class it tried; a phone
needs to know one thing: refresh (`token_expired`) or sign in again (`token_invalid`).
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken


class BearerTokenAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> AccessToken:
        try:
            return AccessToken(raw_token)
        except ExpiredTokenError:
            raise AuthenticationFailed("The access token has expired; refresh it.", code="token_expired") from None
        except TokenError:
            raise AuthenticationFailed("The access token is not valid; sign in again.", code="token_invalid") from None

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if user.is_signed_out_for_erasure:
            raise AuthenticationFailed(
                "This account is about to be erased; sign in again to keep it.", code="erasure_pending"
            )
        return user


class BearerTokenScheme(SimpleJWTScheme):
    """The schema's security scheme for it: simplejwt's, which names only its own class."""

    target_class = "api.authentication.BearerTokenAuthentication"
