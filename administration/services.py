"""Writes about an organisation's administration: the audit log, and who its admins are."""

import re

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, OrganisationDomain, User
from administration.models import AuditEntry, OrganisationAdmin
from administration.selectors import organisation_for_admin, organisation_team
from common.errors import Conflict, Invalid, NotFound
from exercises.models import Theme, WithheldTheme
from exercises.services import catalogue_changed
from group_sessions.services import sessions_evict
from teams.models import CoachAssignment, Invitation, Membership, Team

# The organisation's k: never below the floor (issue: coach insights), and a ceiling past which
# no team would show anything.
K_FLOOR, K_CEILING = 3, 100
DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")


def audit_record(*, organisation_id: int, actor: User | None, action: str, subject: str, detail: dict | None = None):
    """Record one action on the organisation's set-up, in the caller's transaction (so an action
    that fails records nothing)."""
    return AuditEntry.objects.create(
        organisation_id=organisation_id, actor=actor, action=action, subject=subject[:300], detail=detail or {}
    )


@transaction.atomic
def organisation_admin_appoint(*, by: User, organisation_id: int, email: str) -> OrganisationAdmin:
    """An admin makes someone of the organisation an admin too."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    person = User.objects.filter(email__iexact=email.strip(), organisation=organisation, is_active=True).first()
    if person is None:
        raise NotFound("Nobody of the organisation has that email.", code="person_not_found", field="email")
    admin, created = OrganisationAdmin.objects.get_or_create(organisation=organisation, user=person)
    if created:
        audit_record(organisation_id=organisation.pk, actor=by, action="admin.appointed", subject=person.email)
    return admin


@transaction.atomic
def organisation_admin_remove(*, by: User, organisation_id: int, user_id: int) -> None:
    """An admin steps someone down (themselves included), never the last one: an organisation
    always has someone to manage it."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    admins = OrganisationAdmin.objects.select_for_update().filter(organisation=organisation)
    admin = admins.filter(user_id=user_id).select_related("user").first()
    if admin is None:
        raise NotFound("No such admin of the organisation.", code="admin_not_found")
    if admins.count() == 1:
        raise Conflict("The organisation's last admin cannot be removed.", code="last_admin")
    admin.delete()
    audit_record(organisation_id=organisation.pk, actor=by, action="admin.removed", subject=admin.user.email)


@transaction.atomic
def organisation_update(
    *,
    by: User,
    organisation_id: int,
    name: str | None = None,
    allow_domain_signup: bool | None = None,
    k: int | None = None,
    domains: list[str] | None = None,
    themes_offered: list[str] | None = None,
) -> Organisation:
    """An admin changes the organisation's settings: its name, its email domains and whether
    people of those domains may sign up by themselves, its k (never below the floor: coaches
    would see smaller groups), and which themes its people are offered. Each change is audited
    with what it was and what it became."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    if k is not None and not K_FLOOR <= k <= K_CEILING:
        raise Invalid(f"k is between {K_FLOOR} and {K_CEILING}.", code="k_out_of_range", field="k")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = {}
    for field, value in (("name", name), ("allow_domain_signup", allow_domain_signup), ("anonymity_threshold", k)):
        if value is not None and getattr(organisation, field) != value:
            changes[field] = [getattr(organisation, field), value]
            setattr(organisation, field, value)
    if changes:
        organisation.save(update_fields=list(changes))
        audit_record(
            organisation_id=organisation.pk,
            actor=by,
            action="organisation.changed",
            subject=organisation.name,
            detail=changes,
        )
    if domains is not None:
        _domains_set(by=by, organisation=organisation, domains=domains)
    if themes_offered is not None:
        _themes_offer(by=by, organisation=organisation, slugs=themes_offered)
    return organisation


def _domains_set(*, by: User, organisation: Organisation, domains: list[str]) -> None:
    wanted = {_domain(value) for value in domains}
    taken = OrganisationDomain.objects.filter(domain__in=wanted).exclude(organisation=organisation)
    if taken.exists():
        raise Conflict(f"{taken.first().domain} belongs to another organisation.", code="domain_taken")
    held = set(organisation.domains.values_list("domain", flat=True))
    if wanted == held:
        return
    organisation.domains.exclude(domain__in=wanted).delete()
    OrganisationDomain.objects.bulk_create(
        OrganisationDomain(organisation=organisation, domain=domain) for domain in sorted(wanted - held)
    )
    audit_record(
        organisation_id=organisation.pk,
        actor=by,
        action="domains.changed",
        subject=organisation.name,
        detail={"added": sorted(wanted - held), "removed": sorted(held - wanted)},
    )


def _domain(value: str) -> str:
    """An email domain as people type it, lower-cased; anything but a plain host name is refused
    (sign-up compares it with the part of a verified email after the @)."""
    domain = value.strip().lower().rstrip(".")
    if not DOMAIN.fullmatch(domain) or len(domain) > 253:
        raise Invalid(f"{value[:80]!r} is not an email domain.", code="invalid_domain", field="domains")
    return domain


def _themes_offer(*, by: User, organisation: Organisation, slugs: list[str]) -> None:
    themes = dict(Theme.objects.values_list("slug", "pk"))
    unknown = sorted(set(slugs) - themes.keys())
    if unknown:
        raise Invalid(f"No such theme: {unknown[0][:60]}.", code="unknown_theme", field="themes_offered")
    withheld = {pk for slug, pk in themes.items() if slug not in slugs}
    held = set(WithheldTheme.objects.filter(organisation=organisation).values_list("theme_id", flat=True))
    if withheld == held:
        return
    WithheldTheme.objects.filter(organisation=organisation).exclude(theme_id__in=withheld).delete()
    WithheldTheme.objects.bulk_create(WithheldTheme(organisation=organisation, theme_id=pk) for pk in withheld - held)
    offered = sorted(slug for slug in slugs)
    audit_record(
        organisation_id=organisation.pk,
        actor=by,
        action="themes.offered",
        subject=organisation.name,
        detail={"offered": offered},
    )
    # The catalogue its people see changed: phones fetch it again (their cached copy's ETag is stale).
    catalogue_changed(cause=f"themes offered to organisation {organisation.pk} changed")


@transaction.atomic
def team_create(*, by: User, organisation_id: int, name: str) -> Team:
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    team = Team.objects.create(organisation=organisation, name=_team_name(name))
    audit_record(organisation_id=organisation.pk, actor=by, action="team.created", subject=team.name)
    return team


@transaction.atomic
def team_change(
    *, by: User, organisation_id: int, team_id: int, name: str | None = None, archived: bool | None = None
) -> Team:
    """An admin renames a team, archives it or restores it, each change audited."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    team = organisation_team(organisation=organisation, team_id=team_id)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if name is not None:
        _team_rename(by=by, team=team, name=name)
    if archived is not None and archived != (team.archived_at is not None):
        _team_archive(by=by, team=team, archived=archived)
    return team


def _team_rename(*, by: User, team: Team, name: str) -> None:
    before, team.name = team.name, _team_name(name)
    if team.name != before:
        team.save(update_fields=["name"])
        audit_record(
            organisation_id=team.organisation_id,
            actor=by,
            action="team.renamed",
            subject=team.name,
            detail={"was": before},
        )


def _team_archive(*, by: User, team: Team, archived: bool) -> None:
    """Archiving a team that no longer runs: everyone leaves it and its pending invitations stop
    working, so nobody's app shows it and no nudge is about it; what it did stays (its finished
    weeks in the coaches' insights). Restored, it starts again empty: people are invited anew."""
    now = timezone.now()
    team.archived_at = now if archived else None
    team.save(update_fields=["archived_at"])
    detail = {}
    if archived:
        leaving = Membership.objects.filter(team=team)
        sessions_evict(user_ids=list(leaving.values_list("user_id", flat=True)), team_id=team.pk)
        detail["people"] = leaving.delete()[0]
        Invitation.objects.filter(team=team, accepted_at=None, revoked_at=None).update(revoked_at=now)
    audit_record(
        organisation_id=team.organisation_id,
        actor=by,
        action="team.archived" if archived else "team.restored",
        subject=team.name,
        detail=detail,
    )


def _team_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("A team needs a name.", code="blank", field="name")
    return name


@transaction.atomic
def coach_assign(*, by: User, organisation_id: int, email: str, team_id: int | None = None) -> CoachAssignment:
    """An admin lets a coach (an account of no organisation: coaches come from outside) see the
    organisation's anonymised insights, or one team's."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    coach = User.objects.filter(email__iexact=email.strip(), organisation=None, is_active=True).first()
    if coach is None:
        raise NotFound("No coach has that email.", code="coach_not_found", field="email")
    team = organisation_team(organisation=organisation, team_id=team_id) if team_id is not None else None
    assignment, created = CoachAssignment.objects.get_or_create(coach=coach, organisation=organisation, team=team)
    if created:
        audit_record(
            organisation_id=organisation.pk,
            actor=by,
            action="coach.assigned",
            subject=coach.email,
            detail={"team": team.name if team else None},
        )
    return assignment


@transaction.atomic
def coach_unassign(*, by: User, organisation_id: int, assignment_id: int) -> None:
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    assignment = (
        CoachAssignment.objects.filter(organisation=organisation, pk=assignment_id)
        .select_related("coach", "team")
        .first()
    )
    if assignment is None:
        raise NotFound("No such coach assignment.", code="coach_not_found")
    assignment.delete()
    audit_record(
        organisation_id=organisation.pk,
        actor=by,
        action="coach.unassigned",
        subject=assignment.coach.email,
        detail={"team": assignment.team.name if assignment.team else None},
    )


def audit_forget(*, email: str) -> None:
    """An erased person's address leaves the audit log's subjects: the entries stay (what was done
    to the organisation's set-up), naming nobody (erasure, privacy.services)."""
    for entry in AuditEntry.objects.filter(subject__icontains=email):
        AuditEntry.objects.filter(pk=entry.pk).update(subject=entry.subject.replace(email, "(erased)"))
