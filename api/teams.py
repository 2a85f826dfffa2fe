"""Teams: mine, one with its members, and joining by code."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import InOrder
from api.people import PersonSerializer
from teams.models import Membership
from teams.presenters import my_team_view, team_view
from teams.selectors import memberships_for_user, team_for_member
from teams.services import team_join


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
    members = MemberSerializer(many=True)

    def to_representation(self, team):
        return team_view(team=team, viewer=self.context["request"].user)


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


class JoinTeam(APIView):
    """Join a team of my organisation with the code its lead handed out."""

    @extend_schema(request=JoinSerializer, responses=TeamSerializer)
    def post(self, request):
        data = JoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = team_join(user=request.user, code=data.validated_data["code"])
        team = team_for_member(user=request.user, team_id=membership.team_id)
        return Response(TeamSerializer(team, context={"request": request}).data)
