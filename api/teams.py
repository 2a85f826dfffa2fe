"""Teams: mine, one with its members, joining by code or by invitation, managing who is in them
(roles, removal, leaving), and a lead's view of the team's health."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.insights import WEEK_PARAMETERS, HealthQuestionSerializer, QuestionSerializer, WeeksQuerySerializer
from api.pagination import InOrder, NewestFirst
from api.people import PersonSerializer
from api.schema import refusals
from insights.selectors import team_health_for_lead
from teams.models import Membership
from teams.presenters import my_team_view, team_view
from teams.selectors import memberships_for_user, pending_invitations, team_for_member
from teams.services import (
    EMAIL_MAX_LENGTH,
    invitation_accept,
    invitation_revoke,
    invitation_send,
    membership_remove,
    membership_role_change,
    team_join,
    team_leave,
    team_settings_update,
)


class MembershipSerializer(serializers.Serializer):
    """One of my teams, with my role in it (teams.presenters: leads see the join code)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    member_count = serializers.IntegerField()
    join_code = serializers.CharField(allow_null=True, help_text="for the team's leads only")

    def to_representation(self, membership):
        return my_team_view(membership=membership)


class MemberSerializer(PersonSerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class TeamSerializer(serializers.Serializer):
    """A team as the requesting member sees it (teams.presenters)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    my_role = serializers.ChoiceField(choices=Membership.Role.choices)
    join_code = serializers.CharField(allow_null=True, help_text="for the team's leads only")
    members_facilitate = serializers.BooleanField(help_text="any member may start and facilitate its sessions")
    members = MemberSerializer(many=True)

    def to_representation(self, team):
        return team_view(team=team, viewer=self.context["request"].user)


class TeamSettingsSerializer(serializers.Serializer):
    members_facilitate = serializers.BooleanField(
        required=False, help_text="shared power: any member may start and facilitate sessions, not only leads"
    )


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class MyTeams(generics.ListAPIView):
    """My teams, with my role in each (leads see the join code)."""

    serializer_class = MembershipSerializer
    pagination_class = InOrder

    def get_queryset(self):
        return memberships_for_user(user=self.request.user)


class TeamDetail(APIView):
    """One of my teams, with its members by display name."""

    @extend_schema(responses=TeamSerializer)
    def get(self, request, team_id: int):
        team = team_for_member(user=request.user, team_id=team_id)
        return Response(TeamSerializer(team, context={"request": request}).data)

    @extend_schema(request=TeamSettingsSerializer, responses={200: TeamSerializer, **refusals(403, "not_team_lead")})
    def patch(self, request, team_id: int):
        """The team's lead changes its settings."""
        data = TeamSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team_settings_update(user=request.user, team_id=team_id, **data.validated_data)
        team = team_for_member(user=request.user, team_id=team_id)
        return Response(TeamSerializer(team, context={"request": request}).data)


class JoinTeam(APIView):
    """Join a team of my organisation with the code its lead handed out."""

    @extend_schema(request=JoinSerializer, responses=TeamSerializer)
    def post(self, request):
        data = JoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = team_join(user=request.user, code=data.validated_data["code"])
        team = team_for_member(user=request.user, team_id=membership.team_id)
        return Response(TeamSerializer(team, context={"request": request}).data)


class HealthTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HealthWeekSerializer(serializers.Serializer):
    week = serializers.CharField()
    members = serializers.IntegerField(allow_null=True, help_text="null when the team shows nothing that week")
    health = serializers.DictField(child=HealthQuestionSerializer(), help_text="by question id")


class TeamHealthSerializer(serializers.Serializer):
    team = HealthTeamSerializer()
    k = serializers.IntegerField(help_text="the anonymity threshold")
    questions = QuestionSerializer(many=True)
    weeks = HealthWeekSerializer(many=True)


class TeamHealth(APIView):
    """My team's check-ins per finished week and question, as its coach sees them (leads only):
    a question fewer than k people answered that week is suppressed, never shown as zero."""

    @extend_schema(parameters=WEEK_PARAMETERS, responses=TeamHealthSerializer)
    def get(self, request, team_id: int):
        query = WeeksQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        weeks = query.validated_data
        return Response(
            team_health_for_lead(user=request.user, team_id=team_id, first=weeks.get("from"), last=weeks.get("to"))
        )


# Who is in the team: invitations, roles, removal and leaving (the team's leads and the
# organisation's admins; anyone leaves)


class InvitationSendSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class InvitationSerializer(serializers.Serializer):
    """A pending invitation; its link is in the email alone, never here."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    invited_by = PersonSerializer(allow_null=True, help_text="null once its sender's account is erased")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="the last part of the emailed link")


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class TeamInvitations(generics.ListAPIView):
    """The team's pending invitations (its leads and the organisation's admins)."""

    serializer_class = InvitationSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return pending_invitations(user=self.request.user, team_id=self.kwargs["team_id"])

    @extend_schema(
        request=InvitationSendSerializer,
        responses={
            201: InvitationSerializer,
            **refusals(403, "not_team_lead"),
            **refusals(409, "already_in_team"),
        },
    )
    def post(self, request, team_id: int):
        """Invite someone by email: the link goes to that address, valid INVITATION_DAYS, and
        replaces a pending invitation of the same email to the team."""
        data = InvitationSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = invitation_send(by=request.user, team_id=team_id, **data.validated_data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetail(APIView):
    @extend_schema(responses={204: None, **refusals(409, "invitation_used")})
    def delete(self, request, invitation_id: int):
        """Take an invitation back: its link stops working (the team's leads, the organisation's admins)."""
        invitation_revoke(by=request.user, invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAccept(APIView):
    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={
            200: TeamSerializer,
            **refusals(403, "invitation_not_yours", "another_organisation", "coach_cannot_join"),
            **refusals(409, "invitation_used", "invitation_revoked", "invitation_expired"),
        },
    )
    def post(self, request):
        """Join the team an invitation sent to my email asks me into, in its role."""
        data = InvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = invitation_accept(user=request.user, token=data.validated_data["token"])
        team = team_for_member(user=request.user, team_id=membership.team_id)
        return Response(TeamSerializer(team, context={"request": request}).data)


class TeamMember(APIView):
    @extend_schema(
        request=RoleSerializer,
        responses={200: MemberSerializer, **refusals(403, "not_team_lead"), **refusals(409, "last_lead")},
    )
    def patch(self, request, team_id: int, user_id: int):
        """Make someone of the team a lead or a member (the team's leads, the organisation's admins)."""
        data = RoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_role_change(by=request.user, team_id=team_id, user_id=user_id, **data.validated_data)
        return Response({**MemberSerializer(membership.user).data, "role": membership.role})

    @extend_schema(responses={204: None, **refusals(403, "not_team_lead"), **refusals(409, "last_lead")})
    def delete(self, request, team_id: int, user_id: int):
        """Take someone out of the team (the team's leads, the organisation's admins), or oneself: leaving."""
        membership_remove(by=request.user, team_id=team_id, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeaveTeam(APIView):
    @extend_schema(request=None, responses={204: None, **refusals(409, "last_lead")})
    def post(self, request, team_id: int):
        """Leave the team: from then on I see nothing of it."""
        team_leave(user=request.user, team_id=team_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
