"""How a person is shown to others."""

from accounts.models import User


def public_person(user: User) -> dict:
    """A person as colleagues see them, in responses and events: never their email."""
    return {"id": user.pk, "display_name": user.display_name or "A colleague"}
