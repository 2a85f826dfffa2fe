"""The authorisation matrix, built from the URL configuration itself.

Every route (HTTP and WebSocket) is called as each of seven people: anonymous, the owner of
the objects in the path, a teammate, the team's lead, the organisation's coach, someone from
another organisation, and a staff admin. What each may do is written down in the tables
below; a route that is not in a table fails, and so does a table entry for a route that no
longer exists. Whatever a non-owner gets back must never carry the owner's private data
(OWASP API1: broken object-level authorisation).

Each case builds its own world, so destructive calls (erasing an account, deleting a
reflection or a device) cannot change what another case sees.
"""

import base64
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import responses
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.factories import DEFAULT_PASSWORD, OrganisationFactory, UserFactory
from acknowledgements.factories import AcknowledgementFactory
from acknowledgements.models import Acknowledgement
from administration.factories import OrganisationAdminFactory
from agreements.factories import AgreementFactory, VersionFactory
from agreements.models import Agreement
from chat.factories import ChannelFactory
from commitments.models import Commitment
from events.services import events_record
from exercises.factories import ExerciseFactory, RunFactory, group_exercise
from exercises.models import Exercise
from group_sessions.calendar import calendar_secret_reset
from group_sessions.factories import GroupSessionFactory
from group_sessions.models import GroupSession, SessionSeries
from nudges.models import Device, Kind, Nudge
from orphans.factories import ActivityFactory, OrphanFactory
from orphans.models import Orphan
from orphans.services import orphan_claim
from pairs.factories import PairFactory
from pairs.models import Pair, PairAnswer
from realtime.routing import websocket_urlpatterns
from reflections.factories import ReflectionFactory
from reflections.models import JournalDevice, JournalKey
from teams.factories import CoachAssignmentFactory, InvitationFactory, MembershipFactory, TeamFactory
from teams.models import CoachAssignment, Membership
from tests import firebase_tokens
from tests.ws_clients import closed_with, connect, frame, fresh_channel_layer, send  # noqa: F401

ROLES = ("anonymous", "owner", "teammate", "lead", "coach", "outsider", "staff", "org_admin")

# The owner's private things: none of them may reach anyone else.
OWNER_EMAIL = "owner.private-a7c3@org-a.example"
REFLECTION_TEXT = "SECRET-REFLECTION: I was scared to speak up in the retro"
ACKNOWLEDGEMENT_TEXT = "SECRET-ACK: thank you for staying late with me on Tuesday"
NUDGE_TEXT = "SECRET-NUDGE: someone saw you today"
DEVICE_TOKEN = "owner-device-token-5f1e"
PAIR_ANSWER_TEXT = "SECRET-PAIR: what gets in my way is the Monday meeting"


# The routes, as the URL configuration declares them


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def _methods(callback) -> list[str]:
    """The HTTP methods a view has a handler for (OPTIONS and HEAD are answered for all)."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        # A function view (health checks, dashboard pages): read as a page, GET.
        return ["GET"]
    return sorted(
        method.upper()
        for method in view_class.http_method_names
        if method not in ("options", "head") and callable(getattr(view_class, method, None))
    )


def http_routes() -> set[tuple[str, str]]:
    """(route, method) for every HTTP route but Django's own admin, which guards itself with
    is_staff and is outside the API's doors."""
    routes = set()
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue
        routes.update((route, method) for method in _methods(callback))
    return routes


def websocket_routes() -> set[str]:
    return {str(entry.pattern) for entry in websocket_urlpatterns}


# What each person may do. Columns, in order: anonymous, owner, teammate, lead, coach,
# outsider (another organisation), staff (superuser, no team). A (302, path) is a redirect to
# that path (its query string aside), filled from the world's ids.

TO_SIGN_IN = (302, "/coach/sign-in/")
TO_DASHBOARD = (302, "/coach/")
TO_ORGANISATION_PAGE = (302, "/coach/organisations/{organisation_id}/")

SELF_SERVICE = (401, 200, 200, 200, 200, 200, 200)  # one's own things, every signed-in person
SELF_CREATE = (401, 201, 201, 201, 201, 201, 201)
OWNER_ONLY = (401, 200, 404, 404, 404, 404, 404)
TEAM_MEMBERS = (401, 200, 200, 200, 404, 404, 404)
COACH_ONLY = (401, 403, 403, 403, 200, 403, 403)
ANYONE = (200, 200, 200, 200, 200, 200, 200)
PAIR_MEMBERS = (401, 200, 200, 404, 404, 404, 404)  # the owner invited the teammate
REACTION = "api/v1/acknowledgements/<id:acknowledgement_id>/reactions/<str:kind>"

EXPECTED = {
    # Signing in: anyone holding the credential (anonymous holds the owner's).
    ("api/v1/auth/token", "POST"): ANYONE,
    ("api/v1/auth/token/refresh", "POST"): ANYONE,
    ("api/v1/auth/logout", "POST"): (204,) * 7,
    ("api/v1/auth/logout/everywhere", "POST"): (401, 204, 204, 204, 204, 204, 204),
    ("api/v1/auth/firebase", "POST"): ANYONE,
    # One's own profile and data.
    ("api/v1/me", "GET"): SELF_SERVICE,
    ("api/v1/me", "PATCH"): SELF_SERVICE,
    ("api/v1/me", "DELETE"): (401, 202, 202, 202, 202, 202, 202),
    ("api/v1/me/export", "GET"): SELF_SERVICE,
    ("api/v1/me/password", "POST"): SELF_SERVICE,
    ("api/v1/me/calendar", "POST"): SELF_SERVICE,
    # The team calendar feed: its secret address is the only key (the owner's, here).
    ("calendar/<str:secret>.ics", "GET"): ANYONE,
    # Teams. Joining by code: the code is the invitation; someone with no organisation yet
    # (the coach and the staff admin here) joins with it, another organisation's person may not.
    ("api/v1/teams", "GET"): SELF_SERVICE,
    ("api/v1/teams/join", "POST"): (401, 200, 200, 200, 403, 404, 200),
    ("api/v1/teams/<id:team_id>", "GET"): TEAM_MEMBERS,
    ("api/v1/teams/<id:team_id>", "PATCH"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/feed", "GET"): TEAM_MEMBERS,
    # Who is in the team: its leads (and the organisation's admins, last column) invite, change
    # roles and remove people; anyone leaves (the owner here), but not its last lead (409). The
    # member in the path is the owner; an invitation is accepted by the one it was sent to.
    ("api/v1/teams/<id:team_id>/invitations", "GET"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/invitations", "POST"): (401, 403, 403, 201, 404, 404, 404),
    ("api/v1/invitations/<id:invitation_id>", "DELETE"): (401, 403, 403, 204, 404, 404, 404),
    ("api/v1/invitations/accept", "POST"): (401, 200, 200, 200, 403, 403, 200),
    ("api/v1/teams/<id:team_id>/members/<id:user_id>", "PATCH"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/members/<id:user_id>", "DELETE"): (401, 204, 403, 204, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/leave", "POST"): (401, 204, 204, 409, 404, 404, 404),
    # Team health: the team's lead only (coaches see it in insights).
    ("api/v1/teams/<id:team_id>/health", "GET"): (401, 403, 403, 200, 404, 404, 404),
    # "Leave it with me". The orphan is the owner's: open for claim, claimed by the owner for
    # release and done, claimed by the owner and gone quiet for reopen.
    ("api/v1/teams/<id:team_id>/orphans", "GET"): TEAM_MEMBERS,
    ("api/v1/teams/<id:team_id>/orphans", "POST"): (401, 201, 201, 201, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/orphans/stats", "GET"): TEAM_MEMBERS,
    ("api/v1/orphans/<id:orphan_id>", "GET"): TEAM_MEMBERS,
    ("api/v1/orphans/<id:orphan_id>/claim", "POST"): TEAM_MEMBERS,
    ("api/v1/orphans/<id:orphan_id>/release", "POST"): (401, 200, 409, 409, 404, 404, 404),
    ("api/v1/orphans/<id:orphan_id>/done", "POST"): (401, 200, 409, 409, 404, 404, 404),
    ("api/v1/orphans/<id:orphan_id>/reopen", "POST"): (401, 403, 403, 200, 404, 404, 404),
    # Agreements: the team's contribution agreement, its first wording a draft. Another
    # organisation (and a coach, who belongs to none) cannot see it; the team proposes, its lead
    # adopts. Comments come from the organisation's other teams, never the team itself (that
    # one is tests/test_agreements.py), so for them the agreement is a sister team's.
    ("api/v1/teams/<id:team_id>/agreements", "GET"): TEAM_MEMBERS,
    ("api/v1/teams/<id:team_id>/agreements", "POST"): (401, 201, 201, 201, 404, 404, 404),
    ("api/v1/agreements/<id:agreement_id>", "GET"): TEAM_MEMBERS,
    ("api/v1/agreements/<id:agreement_id>/versions", "POST"): (401, 201, 201, 201, 404, 404, 404),
    ("api/v1/agreements/<id:agreement_id>/adopt", "POST"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/agreements/<id:agreement_id>/comments", "POST"): (401, 201, 201, 201, 404, 404, 404),
    # The team's chat channel: its lead's alone; members are told why, the rest see no team.
    ("api/v1/teams/<id:team_id>/chat", "GET"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/chat", "PUT"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/chat", "DELETE"): (401, 403, 403, 204, 404, 404, 404),
    ("api/v1/teams/<id:team_id>/chat/enable", "POST"): (401, 403, 403, 200, 404, 404, 404),
    # Commitments: the volunteer is always oneself; the one in the path is the owner's.
    ("api/v1/teams/<id:team_id>/commitments", "GET"): TEAM_MEMBERS,
    ("api/v1/teams/<id:team_id>/commitments", "POST"): (401, 201, 201, 201, 404, 404, 404),
    ("api/v1/commitments/<id:commitment_id>/done", "POST"): (401, 200, 403, 403, 404, 404, 404),
    ("api/v1/commitments/<id:commitment_id>/drop", "POST"): (401, 200, 403, 403, 404, 404, 404),
    # Live group sessions: only the lead starts one; members read it.
    ("api/v1/teams/<id:team_id>/sessions", "GET"): TEAM_MEMBERS,
    ("api/v1/teams/<id:team_id>/rota", "GET"): TEAM_MEMBERS,
    ("api/v1/teams/<id:team_id>/sessions", "POST"): (401, 403, 403, 201, 404, 404, 404),
    ("api/v1/sessions/<id:session_id>", "GET"): TEAM_MEMBERS,
    # A scheduled session (the lead scheduled it): the lead or its scheduler cancels it.
    ("api/v1/sessions/<id:session_id>/cancel", "POST"): (401, 403, 403, 200, 404, 404, 404),
    ("api/v1/realtime/ticket", "POST"): SELF_CREATE,
    # Pairs: the owner invited the teammate; nobody else may even learn the pair exists. Inviting
    # is within one's organisation (400 on the partner outside it); only the partner answers an
    # invitation and only the inviter cancels one.
    ("api/v1/pairs", "GET"): SELF_SERVICE,
    ("api/v1/pairs", "POST"): (401, 201, 201, 201, 400, 400, 400),
    ("api/v1/pairs/<id:pair_id>", "GET"): PAIR_MEMBERS,
    ("api/v1/pairs/<id:pair_id>/accept", "POST"): (401, 403, 200, 404, 404, 404, 404),
    ("api/v1/pairs/<id:pair_id>/decline", "POST"): (401, 403, 200, 404, 404, 404, 404),
    ("api/v1/pairs/<id:pair_id>/cancel", "POST"): (401, 200, 403, 404, 404, 404, 404),
    ("api/v1/pairs/<id:pair_id>/answers", "POST"): PAIR_MEMBERS,
    ("api/v1/pairs/<id:pair_id>/reveal", "POST"): PAIR_MEMBERS,
    # Coach insights: the organisation's coaches, nobody else (staff included). The list of
    # the organisations one coaches is one's own: empty for everyone who coaches nowhere.
    ("api/v1/coach/organisations", "GET"): SELF_SERVICE,
    ("api/v1/coach/organisations/<id:organisation_id>/insights", "GET"): COACH_ONLY,
    ("api/v1/coach/organisations/<id:organisation_id>/insights.csv", "GET"): COACH_ONLY,
    # Devices and nudges: one's own.
    ("api/v1/devices", "POST"): SELF_CREATE,
    ("api/v1/devices/<device_token:token>", "DELETE"): (401, 204, 404, 404, 404, 404, 404),
    ("api/v1/nudges", "GET"): SELF_SERVICE,
    ("api/v1/nudges/preferences", "GET"): SELF_SERVICE,
    ("api/v1/nudges/preferences", "PUT"): SELF_SERVICE,
    ("api/v1/nudges/<id:nudge_id>/opened", "POST"): OWNER_ONLY,
    # The catalogue and one's own runs.
    ("api/v1/themes", "GET"): SELF_SERVICE,
    ("api/v1/exercises", "GET"): SELF_SERVICE,
    ("api/v1/exercises/<slug:slug>", "GET"): SELF_SERVICE,
    ("api/v1/today", "GET"): SELF_SERVICE,
    ("api/v1/runs", "GET"): SELF_SERVICE,
    ("api/v1/runs", "POST"): SELF_CREATE,
    ("api/v1/runs/<id:run_id>/complete", "POST"): OWNER_ONLY,
    # The private journal: its author alone; anyone else's is "no such reflection".
    ("api/v1/reflections", "GET"): SELF_SERVICE,
    ("api/v1/reflections", "POST"): SELF_CREATE,
    ("api/v1/reflections/<id:reflection_id>", "GET"): OWNER_ONLY,
    ("api/v1/reflections/<id:reflection_id>", "PATCH"): OWNER_ONLY,
    ("api/v1/reflections/<id:reflection_id>", "DELETE"): (401, 204, 404, 404, 404, 404, 404),
    # Its end-to-end encryption: one's own key and devices. The owner's journal is end to end
    # for the device routes; a device for anyone else's is "not end to end yet".
    ("api/v1/reflections/on-this-day", "GET"): SELF_SERVICE,
    ("api/v1/me/trends", "GET"): SELF_SERVICE,
    ("api/v1/me/journal", "GET"): SELF_SERVICE,
    ("api/v1/me/journal", "POST"): SELF_CREATE,
    ("api/v1/me/journal/devices", "POST"): (401, 201, 409, 409, 409, 409, 409),
    ("api/v1/me/journal/devices/<id:device_id>", "DELETE"): (401, 204, 404, 404, 404, 404, 404),
    ("api/v1/me/journal/devices/<id:device_id>/wrap", "POST"): OWNER_ONLY,
    # Acknowledgements. Sending is within one's organisation (to the owner; the owner sends to
    # the teammate): nobody outside it can be named (400 on the recipient). The one in the path
    # is private, sent by the teammate to the owner: the two of them see it, nobody else does,
    # and only the recipient marks it read or hides it.
    ("api/v1/acknowledgements", "POST"): (401, 201, 201, 201, 400, 400, 400),
    ("api/v1/acknowledgements/received", "GET"): SELF_SERVICE,
    ("api/v1/acknowledgements/sent", "GET"): SELF_SERVICE,
    ("api/v1/acknowledgements/<id:acknowledgement_id>/read", "POST"): (401, 200, 403, 404, 404, 404, 404),
    (REACTION, "POST"): (401, 200, 200, 404, 404, 404, 404),
    (REACTION, "DELETE"): (401, 200, 200, 404, 404, 404, 404),
    ("api/v1/acknowledgements/<id:acknowledgement_id>/hide", "POST"): (401, 200, 403, 404, 404, 404, 404),
    ("api/v1/acknowledgements/<id:acknowledgement_id>/report", "POST"): (401, 201, 201, 404, 404, 404, 404),
    # Public: the schema and its docs, and the health checks.
    ("api/schema", "GET"): ANYONE,
    ("api/asyncapi.json", "GET"): ANYONE,
    ("api/docs", "GET"): ANYONE,
    ("healthz", "GET"): ANYONE,
    ("readyz", "GET"): ANYONE,
    ("favicon.ico", "GET"): ((302, "/static/dashboard/favicon.svg"),) * 7,
    # The coaches' dashboard (session sign-in): coaches only; anonymous is sent to sign in.
    ("coach/", "GET"): (TO_SIGN_IN, 403, 403, 403, TO_ORGANISATION_PAGE, 403, 403),
    # Signing in (or arriving signed in) lands on the dashboard, which then decides; anonymous
    # gets the form (a PUT carries no form data, so it is shown again).
    ("coach/sign-in/", "GET"): (200,) + (TO_DASHBOARD,) * 6,
    # Anonymous holds the owner's credentials, and the owner is no coach: refused at sign-in.
    ("coach/sign-in/", "POST"): (403,) + (TO_DASHBOARD,) * 6,
    ("coach/sign-in/", "PUT"): (200,) + (TO_DASHBOARD,) * 6,
    # The organisation's account (a Firebase ID token): the same, the owner's token refused.
    ("coach/sign-in/firebase/", "POST"): (403,) + (TO_DASHBOARD,) * 6,
    ("coach/sign-out/", "POST"): (TO_SIGN_IN,) * 7,
    ("coach/organisations/<id:organisation_id>/", "GET"): (TO_SIGN_IN, 403, 403, 403, 200, 403, 403),
    # The organisation admins' page, beside it: the same rule as their API (the last column).
    ("coach/organisations/<id:organisation_id>/admin/", "GET"): (TO_SIGN_IN, 403, 403, 403, 404, 404, 404),
    ("coach/organisations/<id:organisation_id>/admin/", "POST"): (TO_SIGN_IN, 403, 403, 403, 404, 404, 404),
    # The organisation's administration: its admins only (the last column below). Its other
    # people are told it is not theirs to manage; anyone else cannot tell it exists.
    ("api/v1/organisations", "GET"): SELF_SERVICE,
    **{
        (f"api/v1/organisations/<id:organisation_id>{tail}", method): (401, 403, 403, 403, 404, 404, 404)
        for tail, method in [
            ("", "GET"),
            ("", "PATCH"),
            ("/teams", "GET"),
            ("/teams", "POST"),
            ("/teams/<id:team_id>", "PATCH"),
            ("/teams/<id:team_id>/members", "GET"),
            ("/coaches", "GET"),
            ("/coaches", "POST"),
            ("/coaches/<id:assignment_id>", "DELETE"),
            ("/admins", "GET"),
            ("/admins", "POST"),
            ("/admins/<id:admin_id>", "DELETE"),
            ("/audit", "GET"),
        ]
    },
}

# The last column, the organisation admin: someone of the owner's organisation, in none of its
# teams, who administers it. They get what someone of another organisation gets (nothing of the
# teams' life, none of anyone's words), but on their own things and in the administration.
ORGANISATION_ADMIN = {
    **{key: 200 for key, row in EXPECTED.items() if key[0].startswith("api/v1/organisations/") and key[1] != "POST"},
    ("api/v1/organisations/<id:organisation_id>/teams", "POST"): 201,
    ("api/v1/organisations/<id:organisation_id>/coaches", "POST"): 201,
    ("api/v1/organisations/<id:organisation_id>/admins", "POST"): 201,
    ("api/v1/organisations/<id:organisation_id>/coaches/<id:assignment_id>", "DELETE"): 204,
    ("api/v1/organisations/<id:organisation_id>/admins/<id:admin_id>", "DELETE"): 204,
    ("coach/organisations/<id:organisation_id>/admin/", "GET"): 200,
    ("coach/organisations/<id:organisation_id>/admin/", "POST"): (302, "/coach/organisations/{organisation_id}/admin/"),
    # Being of the organisation, as anyone of it: acknowledging a colleague, inviting one to a
    # pair, joining a team with its code, reading and commenting on a contribution agreement
    # (written for the whole organisation), but not proposing or adopting its wording.
    ("api/v1/acknowledgements", "POST"): 201,
    ("api/v1/pairs", "POST"): 201,
    ("api/v1/teams/join", "POST"): 200,
    # Managing every team's people: invitations, roles, removal (never leaving: in no team).
    ("api/v1/teams/<id:team_id>/invitations", "GET"): 200,
    ("api/v1/teams/<id:team_id>/invitations", "POST"): 201,
    ("api/v1/invitations/<id:invitation_id>", "DELETE"): 204,
    ("api/v1/invitations/accept", "POST"): 200,
    ("api/v1/teams/<id:team_id>/members/<id:user_id>", "PATCH"): 200,
    ("api/v1/teams/<id:team_id>/members/<id:user_id>", "DELETE"): 204,
    ("api/v1/teams/<id:team_id>/agreements", "GET"): 200,
    ("api/v1/agreements/<id:agreement_id>", "GET"): 200,
    ("api/v1/agreements/<id:agreement_id>/comments", "POST"): 201,
    ("api/v1/agreements/<id:agreement_id>/versions", "POST"): 403,
    ("api/v1/agreements/<id:agreement_id>/adopt", "POST"): 403,
    # The web pages' home takes the admin of one organisation to its page.
    ("coach/", "GET"): (302, "/coach/organisations/{organisation_id}/admin/"),
}
EXPECTED = {key: (*row, ORGANISATION_ADMIN.get(key, row[5])) for key, row in EXPECTED.items()}

# WebSockets: "accepted", or the close code. Anonymous is 4401; the session room is for the
# members of the session's team (4403 for anyone else).
ACCEPTED = "accepted"
WS_EXPECTED = {
    r"^ws/v1/events/?$": (4401, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED),
    r"^ws/v1/sessions/(?P<session_id>[0-9]{1,18})/?$": (4401, ACCEPTED, ACCEPTED, ACCEPTED, 4403, 4403, 4403, 4403),
    r"^ws/v1/pairs/(?P<pair_id>[0-9]{1,18})/?$": (4401, ACCEPTED, ACCEPTED, 4403, 4403, 4403, 4403, 4403),
}


# The world: one organisation, its team, its coach; someone elsewhere; a staff admin.


@dataclass
class World:
    people: dict
    organisation: object
    team: object
    solo: Exercise
    group: Exercise
    reflection: object
    run: object
    acknowledgement: Acknowledgement
    device: Device
    nudge: Nudge
    orphan: Orphan
    agreement: Agreement
    commitment: Commitment
    session: GroupSession
    pair: Pair
    journal_device: JournalDevice
    coach_assignment: CoachAssignment
    second_admin: object
    calendar_secret: str = ""
    invitation: object = None

    @property
    def owner(self):
        return self.people["owner"]

    def parameters(self) -> dict:
        return {
            "team_id": self.team.pk,
            "orphan_id": self.orphan.pk,
            "agreement_id": self.agreement.pk,
            "commitment_id": self.commitment.pk,
            "session_id": self.session.pk,
            "pair_id": self.pair.pk,
            "secret": self.calendar_secret,
            "organisation_id": self.organisation.pk,
            "assignment_id": self.coach_assignment.pk,
            "admin_id": self.second_admin.pk,
            "user_id": self.owner.pk,
            "invitation_id": self.invitation.pk,
            "token": self.device.token,
            "nudge_id": self.nudge.pk,
            "slug": self.solo.slug,
            "run_id": self.run.pk,
            "reflection_id": self.reflection.pk,
            "device_id": self.journal_device.pk,
            "acknowledgement_id": self.acknowledgement.pk,
            "kind": "heart",
        }


def build_world() -> World:
    organisation = OrganisationFactory()
    team = TeamFactory(organisation=organisation)
    owner = MembershipFactory(team=team, user__email=OWNER_EMAIL).user
    teammate = MembershipFactory(team=team).user
    lead = MembershipFactory(team=team, role=Membership.Role.LEAD).user
    coach_assignment = CoachAssignmentFactory(organisation=organisation, team=None)
    org_admin = OrganisationAdminFactory(user__organisation=organisation).user
    outsider = MembershipFactory().user  # another organisation, with a team of their own
    staff = UserFactory(organisation=None, is_staff=True, is_superuser=True)
    solo = ExerciseFactory()
    group = group_exercise()
    now = timezone.now()
    orphan = OrphanFactory(team=team, posted_by=owner, title="The build breaks on Mondays")
    ActivityFactory(orphan=orphan)
    agreement = AgreementFactory(team=team, created_by=owner)
    VersionFactory(agreement=agreement, number=1, text="We keep the build green for every team")
    # Under way, the owner's answer to the first share step given, the teammate's not yet.
    pair = PairFactory(inviter=owner, partner=teammate, status=Pair.Status.ACCEPTED, step=2)
    PairAnswer.objects.create(pair=pair, step=2, author=owner, text=PAIR_ANSWER_TEXT)
    return World(
        people={
            "anonymous": None,
            "owner": owner,
            "teammate": teammate,
            "lead": lead,
            "coach": coach_assignment.coach,
            "outsider": outsider,
            "staff": staff,
            "org_admin": org_admin,
        },
        organisation=organisation,
        team=team,
        solo=solo,
        group=group,
        reflection=ReflectionFactory(author=owner, body=REFLECTION_TEXT, mood=2),
        run=RunFactory(user=owner, exercise=solo),
        acknowledgement=AcknowledgementFactory(
            sender=teammate,
            recipient=owner,
            message=ACKNOWLEDGEMENT_TEXT,
            visibility=Acknowledgement.Visibility.PRIVATE,
        ),
        device=Device.objects.create(user=owner, token=DEVICE_TOKEN, platform=Device.Platform.ANDROID),
        nudge=Nudge.objects.create(
            user=owner,
            kind=Kind.SEEN,
            dedupe_key=f"matrix:{owner.pk}",
            due_at=now,
            status=Nudge.Status.SENT,
            sent_at=now,
            title="Someone saw you",
            body=NUDGE_TEXT,
        ),
        orphan=orphan,
        agreement=agreement,
        commitment=Commitment.objects.create(team=team, volunteer=owner, text="I'll fix the flaky test"),
        session=GroupSessionFactory(team=team, exercise=group, started_by=lead),
        pair=pair,
        journal_device=JournalDevice.objects.create(author=owner, name="Old phone", public_key=_base64(32)),
        calendar_secret=calendar_secret_reset(user=owner),
        coach_assignment=coach_assignment,
        second_admin=OrganisationAdminFactory(user__organisation=organisation).user,
        invitation=InvitationFactory(team=team, email="invitee@org-a.example"),
    )


def private_data_of_the_owner(world: World, role: str) -> dict[str, str]:
    """What this role must never receive. The private acknowledgement is the teammate's too:
    they sent it."""
    private = {
        "the owner's reflection": REFLECTION_TEXT,
        "the owner's in-app nudge": NUDGE_TEXT,
        "the owner's device token": DEVICE_TOKEN,
    }
    if role != "org_admin":  # who manages memberships and invitations knows people's work emails
        private["the owner's email"] = world.owner.email
    if role != "teammate":
        private["the private acknowledgement to the owner"] = ACKNOWLEDGEMENT_TEXT
        # The teammate is the owner's partner: they see it once both answered (tests/test_pairs.py).
        private["the owner's answer in a pair"] = PAIR_ANSWER_TEXT
    return private


# Getting each route into the state where its allowed callers can succeed


def _claimed_by_owner(world: World) -> None:
    orphan_claim(user=world.owner, orphan_id=world.orphan.pk)


def _claimed_by_owner_long_ago(world: World) -> None:
    _claimed_by_owner(world)
    Orphan.objects.filter(pk=world.orphan.pk).update(last_activity_at=timezone.now() - timedelta(days=60))


def _a_sister_teams_agreement(world: World) -> None:
    Agreement.objects.filter(pk=world.agreement.pk).update(team=TeamFactory(organisation=world.organisation))


def _no_live_session(world: World) -> None:
    GroupSession.objects.filter(pk=world.session.pk).update(phase=GroupSession.Phase.ENDED)


def _session_scheduled(world: World) -> None:
    series = SessionSeries.objects.create(
        team=world.team,
        exercise=world.group,
        scheduled_by=world.people["lead"],
        starts_at=timezone.now() + timedelta(days=1),
        repeat=SessionSeries.Repeat.WEEKLY,
    )
    GroupSession.objects.filter(pk=world.session.pk).update(
        phase=GroupSession.Phase.SCHEDULED, series=series, starts_at=series.starts_at
    )


def _pair_invited(world: World) -> None:
    Pair.objects.filter(pk=world.pair.pk).update(status=Pair.Status.INVITED)


def _pair_may_reveal(world: World) -> None:
    Pair.objects.filter(pk=world.pair.pk).update(reveal_after_seconds=60)
    PairAnswer.objects.filter(pair=world.pair).update(created_at=timezone.now() - timedelta(hours=1))


def _owner_journal_end_to_end(world: World) -> None:
    JournalKey.objects.create(
        author=world.owner,
        key_id="owner-key-1",
        recovery_wrapped_key=_base64(72),
        recovery_salt=_base64(16),
        recovery_opslimit=2,
        recovery_memlimit=2**26,
    )


def _chat_connected(world: World) -> None:
    ChannelFactory(team=world.team, connected_by=world.people["lead"])


def _base64(size: int) -> str:
    """Random bytes as a phone's key material would be sent: the server cannot tell them apart."""
    return base64.b64encode(os.urandom(size)).decode()


PREPARE = {
    ("api/v1/teams/<id:team_id>/chat", "GET"): _chat_connected,
    ("api/v1/teams/<id:team_id>/chat", "DELETE"): _chat_connected,
    ("api/v1/teams/<id:team_id>/chat/enable", "POST"): _chat_connected,
    ("api/v1/me/journal/devices", "POST"): _owner_journal_end_to_end,
    ("api/v1/pairs/<id:pair_id>/accept", "POST"): _pair_invited,
    ("api/v1/pairs/<id:pair_id>/decline", "POST"): _pair_invited,
    ("api/v1/pairs/<id:pair_id>/cancel", "POST"): _pair_invited,
    ("api/v1/pairs/<id:pair_id>/reveal", "POST"): _pair_may_reveal,
    ("api/v1/orphans/<id:orphan_id>/release", "POST"): _claimed_by_owner,
    ("api/v1/orphans/<id:orphan_id>/done", "POST"): _claimed_by_owner,
    ("api/v1/orphans/<id:orphan_id>/reopen", "POST"): _claimed_by_owner_long_ago,
    ("api/v1/teams/<id:team_id>/sessions", "POST"): _no_live_session,
    ("api/v1/agreements/<id:agreement_id>/comments", "POST"): _a_sister_teams_agreement,
    ("api/v1/sessions/<id:session_id>/cancel", "POST"): _session_scheduled,
}


def _credential_holder(world: World, role: str):
    """Who signs in: oneself, or for anonymous, someone holding the owner's credentials."""
    return world.people[role] or world.owner


def _invited(world: World, role: str) -> str:
    """The token of an invitation to the team for this role's person."""
    token = f"matrix-invitation-of-the-{role}"
    InvitationFactory(team=world.team, email=_credential_holder(world, role).email.lower(), token=token)
    return token


def _new(**fields) -> dict:
    return {"client_id": str(uuid.uuid4()), **fields}


BODIES = {
    ("coach/organisations/<id:organisation_id>/admin/", "POST"): lambda w, role: {
        "action": "team_create",
        "name": "Web",
    },
    ("api/v1/organisations/<id:organisation_id>", "PATCH"): lambda w, role: {"k": 6},
    ("api/v1/organisations/<id:organisation_id>/teams", "POST"): lambda w, role: {"name": "Platform"},
    ("api/v1/organisations/<id:organisation_id>/teams/<id:team_id>", "PATCH"): lambda w, role: {"name": "Renamed"},
    ("api/v1/organisations/<id:organisation_id>/coaches", "POST"): lambda w, role: {"email": w.people["coach"].email},
    ("api/v1/organisations/<id:organisation_id>/admins", "POST"): lambda w, role: {"email": w.owner.email},
    ("api/v1/auth/token", "POST"): lambda w, role: {
        "email": _credential_holder(w, role).email,
        "password": DEFAULT_PASSWORD,
    },
    ("api/v1/auth/token/refresh", "POST"): lambda w, role: {
        "refresh": str(RefreshToken.for_user(_credential_holder(w, role)))
    },
    ("api/v1/auth/logout", "POST"): lambda w, role: {
        "refresh": str(RefreshToken.for_user(_credential_holder(w, role)))
    },
    ("api/v1/auth/firebase", "POST"): lambda w, role: {
        "id_token": firebase_tokens.id_token(
            uid=f"matrix-{_credential_holder(w, role).pk}", email=_credential_holder(w, role).email
        )
    },
    ("api/v1/me", "PATCH"): lambda w, role: {"display_name": "Sam", "time_zone": "Europe/Paris"},
    ("api/v1/me", "DELETE"): lambda w, role: {"password": DEFAULT_PASSWORD},
    ("api/v1/me/password", "POST"): lambda w, role: {
        "current_password": DEFAULT_PASSWORD,
        "new_password": "a-brand-new-passphrase-for-the-matrix",
    },
    ("api/v1/teams/join", "POST"): lambda w, role: {"code": w.team.join_code},
    ("api/v1/teams/<id:team_id>", "PATCH"): lambda w, role: {"members_facilitate": True},
    ("api/v1/teams/<id:team_id>/invitations", "POST"): lambda w, role: {"email": f"new.{role}@org-a.example"},
    ("api/v1/invitations/accept", "POST"): lambda w, role: {"token": _invited(w, role)},
    ("api/v1/teams/<id:team_id>/members/<id:user_id>", "PATCH"): lambda w, role: {"role": "lead"},
    ("api/v1/teams/<id:team_id>/orphans", "POST"): lambda w, role: _new(title="Nobody owns the on-call rota"),
    ("api/v1/orphans/<id:orphan_id>/done", "POST"): lambda w, role: {"note": "Fixed the flaky step"},
    ("api/v1/teams/<id:team_id>/agreements", "POST"): lambda w, role: _new(kind="purpose", text="Why we are here"),
    ("api/v1/agreements/<id:agreement_id>/versions", "POST"): lambda w, role: _new(text="A better wording"),
    ("api/v1/agreements/<id:agreement_id>/adopt", "POST"): lambda w, role: {"version": 1},
    ("api/v1/agreements/<id:agreement_id>/comments", "POST"): lambda w, role: _new(text="Thank you"),
    ("api/v1/teams/<id:team_id>/chat", "PUT"): lambda w, role: {
        "kind": "slack",
        "url": "https://hooks.slack.com/services/T0MATRIX1/B0MATRIX2/matrixsecret00000000000",
    },
    ("api/v1/teams/<id:team_id>/commitments", "POST"): lambda w, role: _new(text="I'll book the retro room"),
    ("api/v1/teams/<id:team_id>/sessions", "POST"): lambda w, role: _new(exercise=w.group.slug),
    ("api/v1/devices", "POST"): lambda w, role: {"token": f"new-device-of-{role}", "platform": "ios"},
    ("api/v1/nudges/preferences", "PUT"): lambda w, role: {"daily_cap": 3, "seen": False},
    ("api/v1/runs", "POST"): lambda w, role: _new(exercise=w.solo.slug),
    ("api/v1/pairs", "POST"): lambda w, role: _new(
        exercise=w.pair.exercise.slug, partner=(w.people["teammate"] if role == "owner" else w.owner).pk
    ),
    ("api/v1/pairs/<id:pair_id>/answers", "POST"): lambda w, role: {"step": 3, "text": f"An answer of the {role}"},
    ("api/v1/pairs/<id:pair_id>/reveal", "POST"): lambda w, role: {"step": 2},
    ("api/v1/reflections", "POST"): lambda w, role: _new(body="My own thoughts", mood=4),
    ("api/v1/reflections/<id:reflection_id>", "PATCH"): lambda w, role: {"mood": 5, "body": "Rewritten"},
    ("api/v1/me/journal", "POST"): lambda w, role: {
        "key_id": f"key-of-the-{role}",
        "recovery": {"wrapped_key": _base64(72), "salt": _base64(16), "opslimit": 2, "memlimit": 2**26},
        "device": {"name": "Phone", "public_key": _base64(32), "wrapped_key": _base64(80)},
    },
    ("api/v1/me/journal/devices", "POST"): lambda w, role: {"name": "New phone", "public_key": _base64(32)},
    ("api/v1/me/journal/devices/<id:device_id>/wrap", "POST"): lambda w, role: {"wrapped_key": _base64(80)},
    ("api/v1/acknowledgements", "POST"): lambda w, role: _new(
        recipient=(w.people["teammate"] if role == "owner" else w.owner).pk,
        message="Thanks for picking that up",
        behaviour="helped",
        visibility="private",
    ),
    ("api/v1/acknowledgements/<id:acknowledgement_id>/report", "POST"): lambda w, role: {"reason": "Not OK"},
    ("coach/sign-in/", "POST"): lambda w, role: {
        "username": _credential_holder(w, role).email,
        "password": DEFAULT_PASSWORD,
    },
    ("coach/sign-in/firebase/", "POST"): lambda w, role: {
        "id_token": firebase_tokens.id_token(
            uid=f"matrix-{_credential_holder(w, role).pk}", email=_credential_holder(w, role).email
        )
    },
}


def path_for(route: str, parameters: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(parameters[match.group(1)]), route)


def ws_path_for(pattern: str, parameters: dict) -> str:
    filled = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: str(parameters[match.group(1)]), pattern)
    return "/" + filled.lstrip("^").rstrip("$").replace("/?", "/")


def request_as(world: World, route: str, method: str, role: str):
    user = world.people[role]
    body = BODIES.get((route, method), lambda w, r: None)(world, role)
    url = path_for(route, world.parameters())
    if route.startswith("coach/"):
        # The dashboard: a browser with a session.
        client = Client()
        if user is not None:
            client.force_login(user)
        if method == "POST":
            return client.post(url, body or {})
        return client.generic(method, url)
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client.generic(method, url, json.dumps(body) if body is not None else "", content_type="application/json")


def _outcome(response, expected, parameters: dict) -> bool:
    if isinstance(expected, tuple):
        status, path = expected
        location = urlparse(response.get("Location", "")).path
        return response.status_code == status and location == path.format(**parameters)
    return response.status_code == expected


def _shown(response) -> str:
    location = response.get("Location")
    text = response.content[:300].decode("utf-8", "replace") if not getattr(response, "streaming", False) else ""
    return f"{response.status_code}" + (f" to {location}" if location else "") + f": {text}"


# Fixtures


@pytest.fixture(autouse=True)
def _generous_sign_in_limits(settings):
    """Rate limits are tested elsewhere; here each case signs in once and must not be throttled."""
    settings.SIGN_IN_RATES = dict.fromkeys(settings.SIGN_IN_RATES, "10000/min")


@pytest.fixture
def firebase(settings):
    """Firebase sign-in configured for the test project; Google's certificate URL intercepted."""
    settings.FIREBASE_PROJECT_ID = firebase_tokens.PROJECT_ID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        firebase_tokens.serve_certificates(mock)
        yield mock


# The table and the URL configuration agree


def test_every_http_route_is_in_the_authorisation_table_and_the_table_has_no_stale_routes():
    discovered = http_routes()
    missing = sorted(discovered - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - discovered)
    assert not missing, "Routes missing from the authorisation table: " + ", ".join(f"{m} /{r}" for r, m in missing)
    assert not stale, "Table entries for routes that no longer exist: " + ", ".join(f"{m} /{r}" for r, m in stale)


def test_every_websocket_route_is_in_the_authorisation_table_and_the_table_has_no_stale_routes():
    discovered = websocket_routes()
    missing, stale = sorted(discovered - WS_EXPECTED.keys()), sorted(WS_EXPECTED.keys() - discovered)
    assert not missing, f"WebSocket routes missing from the authorisation table: {missing}"
    assert not stale, f"Table entries for WebSocket routes that no longer exist: {stale}"


def test_every_row_of_the_table_names_every_person():
    for key, row in {**EXPECTED, **WS_EXPECTED}.items():
        assert len(row) == len(ROLES), f"{key} has {len(row)} columns, not {len(ROLES)}"


def test_the_route_walk_finds_routes_at_every_depth():
    """A guard on the walker itself: it reaches into include()d URL confs and reads methods."""
    discovered = http_routes()
    assert ("healthz", "GET") in discovered
    assert ("api/v1/reflections/<id:reflection_id>", "DELETE") in discovered
    assert ("coach/organisations/<id:organisation_id>/", "GET") in discovered
    assert ("api/v1/reflections/<id:reflection_id>", "PUT") not in discovered


# Every route, every person

HTTP_CASES = [
    pytest.param(route, method, role, id=f"{method} /{route} as {role}")
    for route, method in sorted(http_routes() | set(EXPECTED))
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "role"), HTTP_CASES)
def test_each_person_gets_exactly_what_the_table_allows_and_nothing_private_of_the_owner(route, method, role, request):
    expected_row = EXPECTED.get((route, method))
    if expected_row is None:
        pytest.fail(f"{method} /{route} is not in the authorisation table: say who may call it.")
    if route in ("api/v1/auth/firebase", "coach/sign-in/firebase/"):
        request.getfixturevalue("firebase")
    world = build_world()
    PREPARE.get((route, method), lambda w: None)(world)

    response = request_as(world, route, method, role)

    expected = expected_row[ROLES.index(role)]
    assert _outcome(response, expected, world.parameters()), (
        f"{method} /{route} as {role}: expected {expected}, got {_shown(response)}"
    )
    if role != "owner" and not getattr(response, "streaming", False):
        content = response.content.decode("utf-8", "replace")
        leaked = [what for what, text in private_data_of_the_owner(world, role).items() if text in content]
        assert not leaked, f"{method} /{route} as {role} leaked {', '.join(leaked)}"


@pytest.mark.django_db
def test_the_owner_does_see_their_own_private_data_so_the_leak_check_can_fail(client_for):
    """The markers the leak check looks for really are in the owner's own responses."""
    world = build_world()
    client = client_for(world.owner)
    assert REFLECTION_TEXT in client.get(f"/api/v1/reflections/{world.reflection.pk}").content.decode()
    assert ACKNOWLEDGEMENT_TEXT in client.get("/api/v1/acknowledgements/received").content.decode()
    assert NUDGE_TEXT in client.get("/api/v1/nudges").content.decode()
    assert PAIR_ANSWER_TEXT in client.get(f"/api/v1/pairs/{world.pair.pk}").content.decode()
    export = client.get("/api/v1/me/export").content.decode()
    assert OWNER_EMAIL in export and DEVICE_TOKEN in export


# WebSockets

WS_CASES = [
    pytest.param(pattern, role, id=f"{pattern} as {role}")
    for pattern in sorted(websocket_routes() | set(WS_EXPECTED))
    for role in ROLES
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
@pytest.mark.parametrize(("pattern", "role"), WS_CASES)
async def test_each_person_is_let_into_a_websocket_only_where_the_table_says(pattern, role):
    expected_row = WS_EXPECTED.get(pattern)
    if expected_row is None:
        pytest.fail(f"WebSocket route {pattern} is not in the authorisation table.")
    world = await sync_to_async(build_world)()
    path = ws_path_for(pattern, world.parameters())
    expected = expected_row[ROLES.index(role)]

    communicator = await connect(path, world.people[role])
    try:
        if expected == ACCEPTED:
            await send(communicator, {"type": "ping"})
            received = []
            while not received or received[-1]["type"] != "pong":
                received.append(await frame(communicator))
            if role != "owner":
                text = json.dumps(received)
                private = await sync_to_async(private_data_of_the_owner)(world, role)
                leaked = [what for what, secret in private.items() if secret in text]
                assert not leaked, f"{path} as {role} leaked {', '.join(leaked)}"
        else:
            assert await closed_with(communicator) == expected, f"{path} as {role}"
    finally:
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
async def test_an_event_for_the_owner_reaches_the_owners_stream_and_nobody_elses(role):
    world = await sync_to_async(build_world)()
    owner, sender = world.owner, world.people["teammate"]
    communicator = await connect("/ws/v1/events/", world.people[role])
    try:
        await send(communicator, {"type": "ping"})
        assert (await frame(communicator))["type"] == "pong"
        await sync_to_async(events_record)(
            user_ids=[owner.pk],
            type="acknowledgement.received",
            data={
                "acknowledgement_id": world.acknowledgement.pk,
                "sender": {"id": sender.pk, "display_name": sender.display_name},
                "behaviour": "helped",
                "visibility": "private",
                "message": ACKNOWLEDGEMENT_TEXT,
            },
        )
        if role == "owner":
            event = await frame(communicator)
            assert event["type"] == "acknowledgement.received"
            assert event["data"]["message"] == ACKNOWLEDGEMENT_TEXT
            return
        received = []
        while not await communicator.receive_nothing(timeout=0.5):  # whatever arrives meanwhile
            received.append(await communicator.receive_from())
        assert not [text for text in received if ACKNOWLEDGEMENT_TEXT in text], f"{role} got the owner's event"
    finally:
        await communicator.disconnect()
