"""The organisation admins' routes, under /api/v1/ (included from api.urls)."""

from django.urls import path

from api import organisations

urlpatterns = [
    path("organisations", organisations.Organisations.as_view(), name="organisations"),
    path("organisations/<id:organisation_id>", organisations.OrganisationDetail.as_view(), name="organisation"),
    path(
        "organisations/<id:organisation_id>/teams", organisations.OrganisationTeams.as_view(), name="organisation-teams"
    ),
    path(
        "organisations/<id:organisation_id>/teams/<id:team_id>",
        organisations.OrganisationTeam.as_view(),
        name="organisation-team",
    ),
    path(
        "organisations/<id:organisation_id>/teams/<id:team_id>/members",
        organisations.OrganisationTeamMembers.as_view(),
        name="organisation-team-members",
    ),
    path(
        "organisations/<id:organisation_id>/coaches",
        organisations.OrganisationCoaches.as_view(),
        name="organisation-coaches",
    ),
    path(
        "organisations/<id:organisation_id>/coaches/<id:assignment_id>",
        organisations.OrganisationCoach.as_view(),
        name="organisation-coach",
    ),
    path(
        "organisations/<id:organisation_id>/admins",
        organisations.OrganisationAdmins.as_view(),
        name="organisation-admins",
    ),
    path(
        "organisations/<id:organisation_id>/admins/<id:admin_id>",
        organisations.OrganisationAdminDetail.as_view(),
        name="organisation-admin",
    ),
    path("organisations/<id:organisation_id>/audit", organisations.AuditLog.as_view(), name="organisation-audit"),
]
