"""An organisation runs itself: its admins (the customer's HR partner or people lead, not our
staff) set its domains and sign-up policy, k and the themes offered, create and rename teams,
see who is in them, assign coaches and appoint other admins, each action in an audit log they
read. They never see anyone's activity or words, and nobody else manages the organisation."""

import uuid

import pytest

from accounts.factories import OrganisationFactory, UserFactory
from accounts.models import OrganisationDomain
from acknowledgements.factories import AcknowledgementFactory
from administration.factories import OrganisationAdminFactory
from administration.models import AuditEntry, OrganisationAdmin
from exercises.factories import ExerciseFactory, StepFactory, ThemeFactory
from exercises.models import Exercise, WithheldTheme
from reflections.factories import ReflectionFactory
from teams.factories import CoachAssignmentFactory, TeamFactory
from teams.models import CoachAssignment, Team
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return OrganisationAdminFactory(user__organisation=organisation).user


def url(organisation, tail: str = "") -> str:
    return f"/api/v1/organisations/{organisation.pk}{tail}"


def audited(organisation) -> list[tuple[str, str]]:
    return list(AuditEntry.objects.filter(organisation=organisation).order_by("id").values_list("action", "subject"))


# Who may


def test_an_admin_lists_the_organisations_they_administer(client_for, admin, organisation):
    body = client_for(admin).get("/api/v1/organisations").json()
    assert body["results"] == [{"id": organisation.pk, "name": organisation.name}]


def test_nobody_else_administers_anything(client_for, member, lead, coach):
    for person in (member, lead, coach):
        assert client_for(person).get("/api/v1/organisations").json()["results"] == []


@pytest.mark.parametrize("who", ["member", "lead", "colleague"])
def test_the_organisations_other_people_are_told_it_is_not_theirs_to_manage(client_for, organisation, who, request):
    refused = client_for(request.getfixturevalue(who)).get(url(organisation))
    assert (refused.status_code, error_codes(refused)) == (403, [(None, "not_organisation_admin")])


@pytest.mark.parametrize("who", ["outsider", "coach", "staff_admin"])
def test_anyone_outside_cannot_tell_the_organisation_exists(client_for, organisation, who, request):
    refused = client_for(request.getfixturevalue(who)).get(url(organisation))
    assert (refused.status_code, error_codes(refused)) == (404, [(None, "organisation_not_found")])


def test_an_admin_of_another_organisation_manages_nothing_here(client_for, organisation):
    elsewhere = OrganisationAdminFactory().user
    refused = client_for(elsewhere).patch(url(organisation), {"k": 9}, format="json")
    assert refused.status_code == 404
    organisation.refresh_from_db()
    assert organisation.anonymity_threshold != 9


# Settings


def test_an_admin_reads_the_settings(client_for, admin, organisation):
    OrganisationDomain.objects.create(organisation=organisation, domain="example.com")
    ThemeFactory(slug="presence", name="Presence")
    body = client_for(admin).get(url(organisation)).json()
    assert body == {
        "id": organisation.pk,
        "name": organisation.name,
        "allow_domain_signup": organisation.allow_domain_signup,
        "k": organisation.anonymity_threshold,
        "domains": ["example.com"],
        "themes": [{"slug": "presence", "name": "Presence", "offered": True}],
    }


def test_an_admin_changes_name_signup_and_k_and_each_change_is_audited(client_for, admin, organisation):
    response = client_for(admin).patch(
        url(organisation), {"name": "Acme", "allow_domain_signup": True, "k": 7}, format="json"
    )
    assert response.status_code == 200, response.content
    organisation.refresh_from_db()
    assert (organisation.name, organisation.allow_domain_signup, organisation.anonymity_threshold) == ("Acme", True, 7)
    entry = AuditEntry.objects.get(organisation=organisation)
    assert (entry.actor, entry.action) == (admin, "organisation.changed")
    assert entry.detail["anonymity_threshold"][1] == 7


@pytest.mark.parametrize("k", [2, 0, -1, 101, "٥", "five", 10**30, None])
def test_k_never_goes_below_the_floor_nor_anywhere_odd(client_for, admin, organisation, k):
    before = organisation.anonymity_threshold
    refused = client_for(admin).patch(url(organisation), {"k": k}, format="json")
    assert refused.status_code == 400
    organisation.refresh_from_db()
    assert organisation.anonymity_threshold == before
    assert not AuditEntry.objects.exists()


def test_an_admin_sets_the_email_domains(client_for, admin, organisation):
    OrganisationDomain.objects.create(organisation=organisation, domain="old.example")
    response = client_for(admin).patch(
        url(organisation), {"domains": ["Example.COM.", "team.example.org"]}, format="json"
    )
    assert response.json()["domains"] == ["example.com", "team.example.org"]
    entry = AuditEntry.objects.get(action="domains.changed")
    assert entry.detail == {"added": ["example.com", "team.example.org"], "removed": ["old.example"]}


def test_a_domain_of_another_organisation_is_refused_and_nothing_changes(client_for, admin, organisation):
    OrganisationDomain.objects.create(organisation=OrganisationFactory(), domain="taken.example")
    refused = client_for(admin).patch(
        url(organisation), {"name": "Renamed", "domains": ["taken.example"]}, format="json"
    )
    assert (refused.status_code, error_codes(refused)) == (409, [(None, "domain_taken")])
    organisation.refresh_from_db()
    assert organisation.name != "Renamed" and not organisation.domains.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "domain",
    ["localhost", "exa mple.com", "münchen.de", "１２３.com", "a..b", "-x.com", "x" * 300 + ".com", "@example.com"],
)
def test_something_that_is_not_an_email_domain_is_refused(client_for, admin, organisation, domain):
    refused = client_for(admin).patch(url(organisation), {"domains": [domain]}, format="json")
    assert refused.status_code == 400
    assert error_codes(refused)[0][0].startswith("domains")
    assert not organisation.domains.exists()


def test_an_admin_withholds_a_theme_and_its_people_no_longer_see_it(client_for, admin, organisation, member):
    kept, withheld = ThemeFactory(slug="kept"), ThemeFactory(slug="withheld")
    ExerciseFactory(theme=kept, slug="kept-one")
    ExerciseFactory(theme=withheld, slug="withheld-one")
    response = client_for(admin).patch(url(organisation), {"themes_offered": ["kept"]}, format="json")
    assert [theme["offered"] for theme in response.json()["themes"]] == [True, False]
    phone = client_for(member)
    assert [theme["slug"] for theme in phone.get("/api/v1/themes").json()["results"]] == ["kept"]
    assert [exercise["slug"] for exercise in phone.get("/api/v1/exercises").json()["results"]] == ["kept-one"]
    assert phone.get("/api/v1/exercises/withheld-one").status_code == 404


def test_a_withheld_theme_is_never_todays_pick(client_for, admin, organisation, member):
    kept, withheld = ThemeFactory(slug="kept"), ThemeFactory(slug="withheld")
    for theme in (kept, withheld):
        for n in range(3):
            StepFactory(exercise=ExerciseFactory(theme=theme, slug=f"{theme.slug}-{n}", mode=Exercise.Mode.SOLO))
    client_for(admin).patch(url(organisation), {"themes_offered": ["kept"]}, format="json")
    assert client_for(member).get("/api/v1/today").json()["exercise"]["theme"]["slug"] == "kept"


def test_a_theme_withheld_after_it_was_picked_leaves_todays_screen_at_once(client_for, member, admin, organisation):
    for slug in ("kept", "withheld"):
        theme = ThemeFactory(slug=slug)
        ExerciseFactory.create_batch(3, theme=theme, mode=Exercise.Mode.SOLO)
    phone = client_for(member)
    picked = phone.get("/api/v1/today").json()["exercise"]["theme"]["slug"]
    offered = ["kept", "withheld"]
    offered.remove(picked)
    answer = client_for(admin).patch(url(organisation), {"themes_offered": offered}, format="json")
    assert answer.status_code == 200, answer.content
    assert phone.get("/api/v1/today").json()["exercise"]["theme"]["slug"] == offered[0]


def test_another_organisation_still_gets_a_theme_this_one_withheld(client_for, admin, organisation, outsider):
    ThemeFactory(slug="withheld")
    client_for(admin).patch(url(organisation), {"themes_offered": []}, format="json")
    assert [theme["slug"] for theme in client_for(outsider).get("/api/v1/themes").json()["results"]] == ["withheld"]


def test_withholding_a_theme_moves_the_catalogue_on_so_phones_fetch_it_again(client_for, admin, organisation, member):
    ThemeFactory(slug="withheld")
    etag = client_for(member).get("/api/v1/themes")["ETag"]
    client_for(admin).patch(url(organisation), {"themes_offered": []}, format="json")
    assert client_for(member).get("/api/v1/themes", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_an_unknown_theme_is_refused_and_nothing_is_withheld(client_for, admin, organisation):
    ThemeFactory(slug="kept")
    refused = client_for(admin).patch(url(organisation), {"themes_offered": ["kept", "nonsense"]}, format="json")
    assert (refused.status_code, error_codes(refused)) == (400, [("themes_offered", "unknown_theme")])
    assert not WithheldTheme.objects.exists()


# Teams


def test_an_admin_creates_a_team_and_it_is_audited(client_for, admin, organisation):
    response = client_for(admin).post(url(organisation, "/teams"), {"name": "  Platform   team "}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Platform team"
    assert Team.objects.get(pk=response.json()["id"]).organisation == organisation
    assert audited(organisation) == [("team.created", "Platform team")]


def test_an_admin_lists_the_teams_with_their_size_and_leads(client_for, admin, organisation, team, lead, member):
    body = client_for(admin).get(url(organisation, "/teams")).json()["results"]
    assert body == [
        {
            "id": team.pk,
            "name": team.name,
            "people": 2,
            "leads": [{"id": lead.pk, "email": lead.email}],
            "created_at": body[0]["created_at"],
            "archived_at": None,
        }
    ]


def test_an_admin_renames_a_team(client_for, admin, organisation, team):
    before = team.name
    response = client_for(admin).patch(url(organisation, f"/teams/{team.pk}"), {"name": "Renamed"}, format="json")
    assert response.json()["name"] == "Renamed"
    assert AuditEntry.objects.get().detail == {"was": before}


def test_a_team_of_another_organisation_cannot_be_renamed(client_for, admin, organisation):
    elsewhere = TeamFactory()
    refused = client_for(admin).patch(url(organisation, f"/teams/{elsewhere.pk}"), {"name": "Mine"}, format="json")
    assert (refused.status_code, error_codes(refused)) == (404, [(None, "team_not_found")])


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, None, ["a"], {"$gt": ""}])
def test_a_team_needs_a_sensible_name(client_for, admin, organisation, name):
    refused = client_for(admin).post(url(organisation, "/teams"), {"name": name}, format="json")
    assert refused.status_code == 400
    assert not Team.objects.exists()


def test_an_admin_sees_who_is_in_a_team_and_nothing_of_what_they_did(client_for, admin, organisation, team, member):
    ReflectionFactory(author=member, body="a private thought about my manager")
    AcknowledgementFactory(sender=member, message="thanks for the quiet help")
    response = client_for(admin).get(url(organisation, f"/teams/{team.pk}/members"))
    assert [row["id"] for row in response.json()["results"]] == [member.pk]
    assert set(response.json()["results"][0]) == {"id", "email", "display_name", "role", "joined_at"}
    assert b"private thought" not in response.content and b"quiet help" not in response.content


# Coaches and admins


def test_an_admin_assigns_a_coach_to_the_organisation_and_to_one_team(client_for, admin, organisation, team):
    coach = UserFactory(organisation=None, email="coach@coaching.example")
    whole = client_for(admin).post(url(organisation, "/coaches"), {"email": "COACH@coaching.example"}, format="json")
    one = client_for(admin).post(url(organisation, "/coaches"), {"email": coach.email, "team": team.pk}, format="json")
    assert (whole.status_code, whole.json()["team"]) == (201, None)
    assert one.json()["team"] == {"id": team.pk, "name": team.name}
    assert CoachAssignment.objects.filter(coach=coach, organisation=organisation).count() == 2
    assert [action for action, _ in audited(organisation)] == ["coach.assigned", "coach.assigned"]


def test_only_a_coach_from_outside_can_be_assigned(client_for, admin, organisation, member):
    refused = client_for(admin).post(url(organisation, "/coaches"), {"email": member.email}, format="json")
    assert (refused.status_code, error_codes(refused)) == (400, [("email", "coach_not_found")])


def test_an_admin_unassigns_a_coach(client_for, admin, organisation):
    assignment = CoachAssignmentFactory(organisation=organisation)
    assert client_for(admin).delete(url(organisation, f"/coaches/{assignment.pk}")).status_code == 204
    assert not CoachAssignment.objects.exists()
    assert audited(organisation) == [("coach.unassigned", assignment.coach.email)]


def test_a_coach_assignment_of_another_organisation_cannot_be_removed(client_for, admin, organisation):
    assignment = CoachAssignmentFactory()
    assert client_for(admin).delete(url(organisation, f"/coaches/{assignment.pk}")).status_code == 404
    assert CoachAssignment.objects.filter(pk=assignment.pk).exists()


def test_an_admin_appoints_someone_of_the_organisation(client_for, admin, organisation, member):
    response = client_for(admin).post(url(organisation, "/admins"), {"email": member.email.upper()}, format="json")
    assert response.status_code == 201
    assert OrganisationAdmin.objects.filter(organisation=organisation, user=member).exists()
    assert audited(organisation) == [("admin.appointed", member.email)]


def test_nobody_outside_the_organisation_can_be_made_its_admin(client_for, admin, organisation, outsider):
    refused = client_for(admin).post(url(organisation, "/admins"), {"email": outsider.email}, format="json")
    assert (refused.status_code, error_codes(refused)) == (400, [("email", "person_not_found")])


def test_an_admin_steps_another_down_but_never_the_last(client_for, admin, organisation):
    other = OrganisationAdminFactory(user__organisation=organisation).user
    assert client_for(admin).delete(url(organisation, f"/admins/{other.pk}")).status_code == 204
    refused = client_for(admin).delete(url(organisation, f"/admins/{admin.pk}"))
    assert (refused.status_code, error_codes(refused)) == (409, [(None, "last_admin")])
    assert OrganisationAdmin.objects.filter(user=admin).exists()


# The audit log


def test_the_audit_log_reads_newest_first_with_who_did_what(client_for, admin, organisation):
    client = client_for(admin)
    client.post(url(organisation, "/teams"), {"name": "First"}, format="json")
    client.post(url(organisation, "/teams"), {"name": "Second"}, format="json")
    entries = client.get(url(organisation, "/audit")).json()["results"]
    assert [(entry["action"], entry["subject"], entry["actor"]) for entry in entries] == [
        ("team.created", "Second", admin.email),
        ("team.created", "First", admin.email),
    ]


def test_an_erased_actor_leaves_the_entry_nameless(client_for, admin, organisation):
    other = OrganisationAdminFactory(user__organisation=organisation).user
    client_for(other).post(url(organisation, "/teams"), {"name": "Theirs"}, format="json")
    other.delete()
    assert client_for(admin).get(url(organisation, "/audit")).json()["results"][0]["actor"] is None


def test_the_audit_log_of_another_organisation_stays_there(client_for, admin, organisation):
    elsewhere = OrganisationAdminFactory().user
    client_for(elsewhere).post(url(elsewhere.organisation, "/teams"), {"name": "Theirs"}, format="json")
    assert client_for(admin).get(url(organisation, "/audit")).json()["results"] == []


def test_a_tampered_audit_cursor_is_refused(client_for, admin, organisation):
    refused = client_for(admin).get(url(organisation, "/audit"), {"cursor": str(uuid.uuid4())})
    assert (refused.status_code, error_codes(refused)) == (400, [("cursor", "invalid_cursor")])


# Archiving a team


def archive(client, organisation, team, archived: bool = True):
    return client.patch(url(organisation, f"/teams/{team.pk}"), {"archived": archived}, format="json")


def test_an_archived_team_has_nobody_in_it_and_nobody_sees_it(client_for, admin, organisation, team, lead, member):
    response = archive(client_for(admin), organisation, team)
    assert response.status_code == 200 and response.json()["archived_at"] is not None
    assert client_for(member).get(f"/api/v1/teams/{team.pk}").status_code == 404
    assert client_for(member).get("/api/v1/teams").json()["results"] == []
    entry = AuditEntry.objects.get(action="team.archived")
    assert (entry.subject, entry.detail) == (team.name, {"people": 2})


def test_nobody_joins_an_archived_team_with_its_code(client_for, admin, organisation, team, colleague):
    archive(client_for(admin), organisation, team)
    refused = client_for(colleague).post("/api/v1/teams/join", {"code": team.join_code}, format="json")
    assert (refused.status_code, error_codes(refused)) == (404, [(None, "team_not_found")])


def test_an_archived_teams_pending_invitations_stop_working(
    client_for, admin, organisation, team, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):  # the link is mailed once the invitation is stored
        client.post(
            f"/api/v1/teams/{team.pk}/invitations", {"email": "new@example.com", "role": "member"}, format="json"
        )
    archive(client, organisation, team)
    token = mailoutbox[-1].body.rsplit("/invitations/", 1)[1].split()[0]
    newcomer = UserFactory(organisation=organisation, email="new@example.com")
    refused = client_for(newcomer).post("/api/v1/invitations/accept", {"token": token}, format="json")
    assert (refused.status_code, error_codes(refused)) == (409, [(None, "invitation_revoked")])
    assert not newcomer.memberships.exists()


def test_nobody_is_invited_to_an_archived_team(client_for, admin, organisation, team):
    archive(client_for(admin), organisation, team)
    refused = client_for(admin).post(
        f"/api/v1/teams/{team.pk}/invitations", {"email": "new@example.com", "role": "member"}, format="json"
    )
    assert (refused.status_code, error_codes(refused)) == (409, [(None, "team_archived")])


def test_an_archived_team_is_not_rolled_up_for_the_weeks_after(client_for, admin, organisation, team, member):
    from datetime import timedelta

    from django.utils import timezone

    from common.weeks import monday_of
    from insights.models import TeamWeek
    from insights.services import insights_roll_up

    Team.objects.filter(pk=team.pk).update(created_at=timezone.now() - timedelta(weeks=4))
    archive(client_for(admin), organisation, team)
    Team.objects.filter(pk=team.pk).update(archived_at=timezone.now() - timedelta(weeks=3))
    last_week = monday_of(timezone.now().date()) - timedelta(weeks=1)
    insights_roll_up(week_start=last_week)
    assert not TeamWeek.objects.filter(team=team, week_start=last_week).exists()


def test_a_restored_team_starts_again_empty_and_takes_invitations(client_for, admin, organisation, team, member):
    client = client_for(admin)
    archive(client, organisation, team)
    restored = archive(client, organisation, team, archived=False)
    assert restored.json()["archived_at"] is None and restored.json()["people"] == 0
    invited = client.post(
        f"/api/v1/teams/{team.pk}/invitations", {"email": member.email, "role": "lead"}, format="json"
    )
    assert invited.status_code == 201
    assert [action for action, _ in audited(organisation)][-3:] == ["team.archived", "team.restored", "invitation.sent"]


def test_archiving_twice_changes_nothing_more(client_for, admin, organisation, team):
    client = client_for(admin)
    first = archive(client, organisation, team).json()["archived_at"]
    assert archive(client, organisation, team).json()["archived_at"] == first
    assert AuditEntry.objects.filter(action="team.archived").count() == 1
