"""Writes about teams: joining, settings, and who is in them (invitations, roles, leaving).

Membership changes guarantee:
- only the team's leads and its organisation's admins invite, change roles and remove people
  (teams.selectors.team_for_manager); anyone may leave;
- a team with people in it never loses its last lead (409 `last_lead`): someone else is made
  lead first. Each change locks the team's row, so two leads stepping down at once cannot both
  pass that check;
- each change is written to the organisation's audit log in the same transaction (who, what,
  the team and an email; never anyone's activity);
- an invitation's token exists only in the email sent; the database keeps its SHA-256. Every
  write to invitations locks their team first, so an accept, a resend and a revoke of one
  invitation take turns.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from administration.services import audit_record
from common.digests import secret_digest
from common.errors import Conflict, Invalid, NotAllowed, NotFound
from group_sessions.services import sessions_evict
from teams.models import JOIN_CODE_ALPHABET, CoachAssignment, Invitation, Membership, Team
from teams.selectors import team_for_manager

EMAIL_MAX_LENGTH = 254  # RFC 5321's limit for an address in use


@transaction.atomic
def team_join(*, user: User, code: str) -> Membership:
    """Join a team by its code. Joining twice is harmless; joining another organisation's team
    is refused exactly as an unknown code is, so codes cannot be probed across organisations."""
    normalised = code.strip().upper()
    team = None
    if normalised and all(c in JOIN_CODE_ALPHABET for c in normalised):
        team = Team.objects.select_related("organisation").filter(join_code=normalised).first()
    if team is None or team.archived_at or (user.organisation_id and user.organisation_id != team.organisation_id):
        raise NotFound("No team has that code.", code="team_not_found")
    return _join(user=user, team=team, role=Membership.Role.MEMBER)


def _join(*, user: User, team: Team, role: str) -> Membership:
    """Someone of the team's organisation (or of none yet) joins it; one already in keeps their role."""
    if CoachAssignment.objects.filter(coach=user, organisation_id=team.organisation_id).exists():
        # Coaches see teams anonymised; joining one would show them its people and texts.
        raise NotAllowed("Coaches do not join the teams they coach.", code="coach_cannot_join")
    if user.organisation_id is None:
        user.organisation = team.organisation
        user.save(update_fields=["organisation"])
    membership, _ = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def team_settings_update(*, user: User, team_id: int, members_facilitate: bool | None = None) -> Team:
    """A lead changes how the team works. `members_facilitate` shares power: with it on, any
    member may start and facilitate the team's sessions, not only its leads."""
    membership = Membership.objects.filter(team_id=team_id, user=user).first()
    if membership is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    if membership.role != Membership.Role.LEAD:
        raise NotAllowed("Only the team's lead can change its settings.", code="not_team_lead")
    if members_facilitate is not None:
        Team.objects.filter(pk=team_id).update(members_facilitate=members_facilitate)
    return Team.objects.get(pk=team_id)


# Invitations


@transaction.atomic
def invitation_send(*, by: User, team_id: int, email: str, role: str = Membership.Role.MEMBER) -> Invitation:
    """A lead or an organisation admin invites someone by email. A pending invitation for the
    same email and team is revoked (its link stops working); the new link is mailed once the
    invitation is stored, and never returned."""
    team = _locked(team_for_manager(user=by, team_id=team_id))
    email, role = _email(email), _role(role)
    someone = User.objects.filter(email__iexact=email).first()
    if someone is not None and someone.organisation_id not in (None, team.organisation_id):
        raise Invalid("That email is someone's of another organisation.", code="another_organisation", field="email")
    if someone is not None and Membership.objects.filter(team=team, user=someone).exists():
        raise Conflict("They are in the team already.", code="already_in_team")
    now = timezone.now()
    Invitation.objects.filter(team=team, email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        role=role,
        invited_by=by,
        token_hash=secret_digest(token),
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    _audit(by=by, action="invitation.sent", team=team, email=email, role=role)
    # After the commit: a mail is not taken back, so none goes out for an invitation rolled back.
    transaction.on_commit(lambda: _invitation_mail(invitation=invitation, by=by, token=token))
    return invitation


@transaction.atomic
def invitation_revoke(*, by: User, invitation_id: int) -> None:
    """The team's lead or an organisation admin takes an invitation back; again is harmless."""
    found = Invitation.objects.filter(pk=invitation_id).first()
    if found is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    try:
        team = _locked(team_for_manager(user=by, team_id=found.team_id))
    except NotFound:  # another team's invitation is as unknown as one that does not exist
        raise NotFound("No such invitation.", code="invitation_not_found") from None
    invitation = Invitation.objects.get(pk=found.pk)  # as it is now that the team is locked
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has been accepted.", code="invitation_used")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _audit(by=by, action="invitation.revoked", team=team, email=invitation.email, role=invitation.role)


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """The signed-in person the invitation is for (their email, whatever its case) joins the team
    in its role. A link works once: accepting it again is a retry, for them only."""
    found = Invitation.objects.filter(token_hash=secret_digest(token)).first()
    if found is None:
        raise NotFound("This invitation link is not one of ours.", code="invitation_not_found")
    team = _locked(found.team)
    invitation = Invitation.objects.get(pk=found.pk)  # as it is now that the team is locked
    if invitation.email != user.email.strip().lower():
        raise NotAllowed("This invitation is for someone else.", code="invitation_not_yours")
    if invitation.accepted_at is not None:
        retried = (
            Membership.objects.filter(team=team, user=user).first() if invitation.accepted_by_id == user.pk else None
        )
        if retried is not None:
            return retried
        raise Conflict("This invitation has been used.", code="invitation_used")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was taken back, or replaced by a newer one.", code="invitation_revoked")
    if invitation.expires_at <= timezone.now():
        raise Conflict("This invitation has expired; ask for a new one.", code="invitation_expired")
    if user.organisation_id not in (None, team.organisation_id):
        raise NotAllowed("This invitation is to another organisation's team.", code="another_organisation")
    membership = _join(user=user, team=team, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _audit(by=user, action="invitation.accepted", team=team, email=invitation.email, role=membership.role)
    return membership


def _invitation_mail(*, invitation: Invitation, by: User, token: str) -> None:
    team = " ".join(invitation.team.name.split())  # one line: it goes in the subject
    inviter = by.display_name or "A colleague"
    send_mail(
        subject=f"Join {team} on Humble",
        message=(
            f"{inviter} invites you to join {team} on Humble.\n\n"
            f"Open this link on your phone to accept:\n{settings.INVITATION_LINK_BASE}{token}\n\n"
            f"It works once, until {invitation.expires_at:%d %B %Y}."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise Invalid(f"At most {EMAIL_MAX_LENGTH} characters.", code="max_length", field="email")
    try:
        validate_email(email)
        email.rpartition("@")[2].encode("idna")  # what the mail will be sent to
    except (ValidationError, UnicodeError):
        raise Invalid("That is not an email address.", code="invalid", field="email") from None
    return email


def _role(role: str) -> str:
    if role not in Membership.Role.values:
        raise Invalid("A role is member or lead.", code="invalid_choice", field="role")
    return role


# Roles, removal and leaving


@transaction.atomic
def membership_role_change(*, by: User, team_id: int, user_id: int, role: str) -> Membership:
    """A lead or an organisation admin makes someone of the team a lead or a member."""
    team = _locked(team_for_manager(user=by, team_id=team_id))
    role = _role(role)
    membership = _membership(team=team, user_id=user_id)
    if membership.role == role:
        return membership
    if role == Membership.Role.MEMBER:
        _keep_a_lead(membership, staying=True)
    membership.role = role
    membership.save(update_fields=["role"])
    _audit(by=by, action="membership.role_changed", team=team, email=membership.user.email, role=role)
    return membership


@transaction.atomic
def membership_remove(*, by: User, team_id: int, user_id: int) -> None:
    """A lead or an organisation admin takes someone out of the team; removing oneself is leaving."""
    if by.pk == user_id:
        team_leave(user=by, team_id=team_id)
        return
    team = _locked(team_for_manager(user=by, team_id=team_id))
    membership = _membership(team=team, user_id=user_id)
    _keep_a_lead(membership, staying=False)
    membership.delete()
    sessions_evict(user_ids=[user_id], team_id=team.pk)
    _audit(by=by, action="membership.removed", team=team, email=membership.user.email, role=membership.role)


@transaction.atomic
def team_leave(*, user: User, team_id: int) -> None:
    """A member leaves the team. From then on they see nothing of it (its feed, agreements,
    sessions: every read checks membership), and their next command in its live session is refused."""
    membership = Membership.objects.filter(team_id=team_id, user=user).select_related("team", "user").first()
    if membership is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    team = _locked(membership.team)
    _keep_a_lead(membership, staying=False)
    membership.delete()
    sessions_evict(user_ids=[user.pk], team_id=team.pk)
    _audit(by=user, action="membership.left", team=team, email=user.email, role=membership.role)


def _locked(team: Team) -> Team:
    # NO KEY UPDATE: serialises membership changes of one team without blocking rows that merely
    # refer to it (a reflection, a session) from being written meanwhile.
    return Team.objects.select_for_update(no_key=True).get(pk=team.pk)


def _membership(*, team: Team, user_id: int) -> Membership:
    membership = Membership.objects.filter(team=team, user_id=user_id).select_related("user").first()
    if membership is None:
        raise NotFound("Nobody of the team has that id.", code="member_not_found")
    return membership


def _keep_a_lead(membership: Membership, *, staying: bool) -> None:
    """Refuses a change that would leave people in the team with no lead: this lead stepping down
    (`staying`) or going while they are its only lead. Call with the team locked."""
    if membership.role != Membership.Role.LEAD:
        return
    others = Membership.objects.filter(team_id=membership.team_id).exclude(pk=membership.pk)
    if others.filter(role=Membership.Role.LEAD).exists() or not (staying or others.exists()):
        return
    raise Conflict("The team's last lead cannot step down: make someone else lead first.", code="last_lead")


def _audit(*, by: User, action: str, team: Team, email: str, role: str) -> None:
    audit_record(
        organisation_id=team.organisation_id,
        actor=by,
        action=action,
        subject=f"{email} in {team.name}",
        detail={"role": role},
    )


def invitations_forget(*, email: str) -> None:
    """An erased person's address leaves the invitations sent to it (erasure, privacy.services)."""
    Invitation.objects.filter(email=email.strip().lower()).delete()
