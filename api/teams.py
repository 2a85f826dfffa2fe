"""Teams: mine, one with its members, joining by code, and a lead's view of the team's health."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.insights import WEEK_PARAMETERS, HealthQuestionSerializer, QuestionSerializer, WeeksQuerySerializer
from api.pagination import InOrder
from api.people import PersonSerializer
from api.schema import refusals
from insights.selectors import team_health_for_lead
from teams.models import Membership
from teams.presenters import my_team_view, team_view
from teams.selectors import memberships_for_user, team_for_member
from teams.services import team_join, team_settings_update


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
