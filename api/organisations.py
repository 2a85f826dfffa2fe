"""The organisation's own administration, for its admins: its settings (name, email domains and
sign-up policy, k, themes offered), teams, coaches, admins and the audit log of all of it.
Never anyone's activity or words: memberships say who is in which team, in what role."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from administration.selectors import (
    administered_organisations,
    audit_entries,
    organisation_admins,
    organisation_coaches,
    organisation_for_admin,
    organisation_settings,
    organisation_teams,
    team_members,
)
from administration.services import (
    K_CEILING,
    K_FLOOR,
    coach_assign,
    coach_unassign,
    organisation_admin_appoint,
    organisation_admin_remove,
    organisation_update,
    team_change,
    team_create,
)
from api.fields import IdField, WholeNumberField
from api.pagination import InOrder, NewestFirst
from api.schema import refusals
from teams.models import Membership

ADMINS_ONLY = refusals(403, "not_organisation_admin")


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ThemeOfferSerializer(serializers.Serializer):
    slug = serializers.SlugField(source="theme.slug")
    name = serializers.CharField(source="theme.name")
    offered = serializers.BooleanField()


class OrganisationSettingsSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="organisation.pk")
    name = serializers.CharField(source="organisation.name")
    allow_domain_signup = serializers.BooleanField(
        source="organisation.allow_domain_signup",
        help_text="people whose verified email is on one of the domains get an account at their first sign-in",
    )
    k = serializers.IntegerField(
        source="organisation.anonymity_threshold", help_text="coaches never see a figure of fewer people"
    )
    domains = serializers.ListField(child=serializers.CharField())
    themes = ThemeOfferSerializer(
        many=True, source="offers", help_text="every theme, and whether its people are offered it"
    )


class OrganisationChangeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    allow_domain_signup = serializers.BooleanField(required=False)
    k = WholeNumberField(min_value=K_FLOOR, max_value=K_CEILING, required=False)
    domains = serializers.ListField(
        child=serializers.CharField(max_length=253),
        max_length=50,
        required=False,
        help_text="every domain, replacing them",
    )
    themes_offered = serializers.ListField(
        child=serializers.SlugField(max_length=60),
        max_length=100,
        required=False,
        help_text="every theme offered (slugs)",
    )


class Organisations(generics.ListAPIView):
    """The organisations I administer."""

    serializer_class = OrganisationRefSerializer
    pagination_class = InOrder

    def get_queryset(self):
        return administered_organisations(user=self.request.user)


class OrganisationDetail(APIView):
    @extend_schema(responses={200: OrganisationSettingsSerializer, **ADMINS_ONLY})
    def get(self, request, organisation_id: int):
        """The organisation's settings."""
        organisation = organisation_for_admin(user=request.user, organisation_id=organisation_id)
        return Response(OrganisationSettingsSerializer(organisation_settings(organisation=organisation)).data)

    @extend_schema(request=OrganisationChangeSerializer, responses={200: OrganisationSettingsSerializer, **ADMINS_ONLY})
    def patch(self, request, organisation_id: int):
        """Change the settings; each change is audited."""
        data = OrganisationChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = organisation_update(by=request.user, organisation_id=organisation_id, **data.validated_data)
        return Response(OrganisationSettingsSerializer(organisation_settings(organisation=organisation)).data)


class LeadSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")


class OrganisationTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    people = serializers.IntegerField(help_text="how many people are in it")
    leads = LeadSerializer(many=True)
    created_at = serializers.DateTimeField()
    archived_at = serializers.DateTimeField(allow_null=True, help_text="archived: nobody is in it, what it did stays")


class TeamNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class TeamChangeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    archived = serializers.BooleanField(
        required=False,
        help_text="true: everyone leaves it and its invitations stop; false: restored, empty, to invite people to again",
    )


class OrganisationTeams(generics.ListAPIView):
    """The organisation's teams (an admin creates one)."""

    serializer_class = OrganisationTeamSerializer
    pagination_class = InOrder

    def get_queryset(self):
        organisation = organisation_for_admin(user=self.request.user, organisation_id=self.kwargs["organisation_id"])
        return organisation_teams(organisation=organisation)

    @extend_schema(request=TeamNameSerializer, responses={201: OrganisationTeamSerializer, **ADMINS_ONLY})
    def post(self, request, organisation_id: int):
        data = TeamNameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = team_create(by=request.user, organisation_id=organisation_id, **data.validated_data)
        team.people, team.leads = 0, []
        return Response(OrganisationTeamSerializer(team).data, status=status.HTTP_201_CREATED)


class OrganisationTeam(APIView):
    @extend_schema(request=TeamChangeSerializer, responses={200: OrganisationTeamSerializer, **ADMINS_ONLY})
    def patch(self, request, organisation_id: int, team_id: int):
        """Rename a team, archive it or restore it."""
        data = TeamChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team_change(by=request.user, organisation_id=organisation_id, team_id=team_id, **data.validated_data)
        organisation = organisation_for_admin(user=request.user, organisation_id=organisation_id)
        return Response(OrganisationTeamSerializer(organisation_teams(organisation=organisation).get(pk=team_id)).data)


class TeamMembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")
    display_name = serializers.CharField(source="user.display_name")
    role = serializers.ChoiceField(choices=Membership.Role.values)
    joined_at = serializers.DateTimeField()


class OrganisationTeamMembers(generics.ListAPIView):
    """Who is in the team, in what role: nothing of what they did."""

    serializer_class = TeamMembershipSerializer
    pagination_class = InOrder

    def get_queryset(self):
        organisation = organisation_for_admin(user=self.request.user, organisation_id=self.kwargs["organisation_id"])
        return team_members(organisation=organisation, team_id=self.kwargs["team_id"])


class CoachAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="coach.email")
    team = OrganisationRefSerializer(allow_null=True, help_text="null: the whole organisation")
    created_at = serializers.DateTimeField()


class CoachAssignSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="a coach's account (coaches belong to no organisation)")
    team = IdField(required=False, allow_null=True, help_text="one team; absent or null: the whole organisation")


class OrganisationCoaches(generics.ListAPIView):
    """The coaches who may see the organisation's anonymised insights."""

    serializer_class = CoachAssignmentSerializer
    pagination_class = InOrder

    def get_queryset(self):
        organisation = organisation_for_admin(user=self.request.user, organisation_id=self.kwargs["organisation_id"])
        return organisation_coaches(organisation=organisation)

    @extend_schema(request=CoachAssignSerializer, responses={201: CoachAssignmentSerializer, **ADMINS_ONLY})
    def post(self, request, organisation_id: int):
        data = CoachAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = coach_assign(
            by=request.user,
            organisation_id=organisation_id,
            email=data.validated_data["email"],
            team_id=data.validated_data.get("team"),
        )
        return Response(CoachAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class OrganisationCoach(APIView):
    @extend_schema(responses={204: None, **ADMINS_ONLY})
    def delete(self, request, organisation_id: int, assignment_id: int):
        """The coach no longer sees the organisation (or that team)."""
        coach_unassign(by=request.user, organisation_id=organisation_id, assignment_id=assignment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")
    appointed_at = serializers.DateTimeField()


class AppointSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="someone of the organisation")


class OrganisationAdmins(generics.ListAPIView):
    """The organisation's admins."""

    serializer_class = AdminSerializer
    pagination_class = InOrder

    def get_queryset(self):
        organisation = organisation_for_admin(user=self.request.user, organisation_id=self.kwargs["organisation_id"])
        return organisation_admins(organisation=organisation)

    @extend_schema(request=AppointSerializer, responses={201: AdminSerializer, **ADMINS_ONLY})
    def post(self, request, organisation_id: int):
        data = AppointSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        admin = organisation_admin_appoint(by=request.user, organisation_id=organisation_id, **data.validated_data)
        return Response(AdminSerializer(admin).data, status=status.HTTP_201_CREATED)


class OrganisationAdminDetail(APIView):
    @extend_schema(responses={204: None, **ADMINS_ONLY})
    def delete(self, request, organisation_id: int, admin_id: int):
        """Step an admin down (never the last one)."""
        organisation_admin_remove(by=request.user, organisation_id=organisation_id, user_id=admin_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.EmailField(source="actor.email", allow_null=True, help_text="null: since erased")
    action = serializers.CharField()
    subject = serializers.CharField()
    detail = serializers.DictField()


class AuditLog(generics.ListAPIView):
    """What was done to the organisation's set-up, newest first."""

    serializer_class = AuditEntrySerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        organisation = organisation_for_admin(user=self.request.user, organisation_id=self.kwargs["organisation_id"])
        return audit_entries(organisation=organisation)
