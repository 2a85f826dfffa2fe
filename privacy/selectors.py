"""A person's data export: everything stored about them, reflections decrypted where the server
can, and as their phone encrypted them (with the wrapped keys and the format) where it cannot."""

from django.db.models import Q
from django.forms.models import model_to_dict

from accounts.models import User
from acknowledgements.models import Acknowledgement, Reaction, Report
from administration.models import AuditEntry, OrganisationAdmin
from agreements.models import Comment, Version
from chat.models import Channel
from commitments.models import Commitment
from events.models import Event
from exercises.models import Run
from group_sessions.models import Connection, Share
from nudges.models import DeliveryAttempt, Device, Nudge
from nudges.selectors import preferences_for
from orphans.models import Activity, Orphan
from pairs.models import Pair, PairAnswer
from reflections.formats import EXPORT_DESCRIPTION
from reflections.models import JournalDevice, JournalKey, Reflection
from reflections.selectors import reflection_body
from teams.models import CoachAssignment, Invitation, Membership


def _rows(queryset, *, exclude=()) -> list[dict]:
    return [model_to_dict(row, exclude=list(exclude)) | {"id": row.pk} for row in queryset]


def account_export(*, user: User) -> dict:
    """Everything Humble stores about this person, in one document.

    Acknowledgements they received include the sender's id (the message was addressed to them);
    nothing here is about anyone else beyond what they were already shown.
    """
    reflections = Reflection.objects.filter(author=user).prefetch_related("themes")
    return {
        "profile": {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "time_zone": user.time_zone,
            "locale": user.locale,
            "organisation_id": user.organisation_id,
            "date_joined": user.date_joined,
            "firebase_uid": user.firebase_uid,
        },
        "memberships": _rows(Membership.objects.filter(user=user)),
        # Invitations keep only their link's hash: nothing in them opens anything.
        "invitations_received": _rows(Invitation.objects.filter(email=user.email.lower()), exclude=["token_hash"]),
        "invitations_sent": _rows(Invitation.objects.filter(invited_by=user), exclude=["token_hash"]),
        "organisations_administered": _rows(OrganisationAdmin.objects.filter(user=user)),
        "administration_done": _rows(AuditEntry.objects.filter(actor=user)),
        # A chat channel's webhook address is the team's secret, not the person's.
        "chat_channels_connected": _rows(Channel.objects.filter(connected_by=user), exclude=["url_ciphertext"]),
        "coach_assignments": _rows(CoachAssignment.objects.filter(coach=user)),
        "runs": _rows(Run.objects.filter(user=user)),
        "reflections": [
            {
                "id": reflection.pk,
                "client_id": reflection.client_id,
                "body": reflection_body(reflection=reflection),
                "document": reflection.document or None,
                "key_id": reflection.key_id or None,
                "document_format": reflection.document_format,
                "mood": reflection.mood,
                "energy": reflection.energy,
                "themes": sorted(theme.slug for theme in reflection.themes.all()),
                "run": reflection.run_id,
                "session": reflection.session_id,
                "created_at": reflection.created_at,
                "updated_at": reflection.updated_at,
            }
            for reflection in reflections
        ],
        "journal": {
            "format": EXPORT_DESCRIPTION,
            "keys": _rows(JournalKey.objects.filter(author=user)),
            "devices": _rows(JournalDevice.objects.filter(author=user)),
        },
        "acknowledgements_sent": _rows(Acknowledgement.objects.filter(sender=user)),
        "acknowledgements_received": _rows(Acknowledgement.objects.filter(recipient=user)),
        "reactions": _rows(Reaction.objects.filter(user=user)),
        "reports": _rows(Report.objects.filter(reporter=user)),
        "session_answers": _rows(Share.objects.filter(author=user)),
        "session_connections": _rows(Connection.objects.filter(user=user), exclude=["channel_name"]),
        "pairs": _rows(Pair.objects.filter(Q(inviter=user) | Q(partner=user)), exclude=["present_key"]),
        "pair_answers": _rows(PairAnswer.objects.filter(author=user)),
        "commitments": _rows(Commitment.objects.filter(volunteer=user)),
        "agreement_versions_proposed": _rows(Version.objects.filter(proposed_by=user)),
        "agreement_comments": _rows(Comment.objects.filter(author=user)),
        "orphans_posted": _rows(Orphan.objects.filter(posted_by=user)),
        "orphan_activities": _rows(Activity.objects.filter(actor=user)),
        "devices": _rows(Device.objects.filter(user=user)),
        "nudge_preferences": model_to_dict(preferences_for(user=user), exclude=["user"]),
        "nudges": _rows(Nudge.objects.filter(user=user)),
        "push_attempts": _rows(DeliveryAttempt.objects.filter(nudge__user=user)),
        "events": _rows(Event.objects.filter(user=user)),
    }
