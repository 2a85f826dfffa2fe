"""Django's own authentication backend, with one rule added for web sessions."""

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """A web session (dashboard, admin) of someone who asked to be erased ends with the request,
    as their tokens do: asking signs a person out everywhere. Passwords are still checked for
    them (accounts.sign_in), since signing in again is how they call the erasure off."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and not user.is_signed_out_for_erasure else None
