"""Teams: mine, one with its members, and joining by code."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import InOrder
from api.people import PersonSerializer
from teams.models import Membership
from teams.selectors import memberships_for_user, team_for_member
from teams.services import team_join


def _join_code_for(membership: Membership) -> str | None:
    # Leads invite people with the code; members do not hand it around.
    return membership.team.join_code if membership.role == Membership.Role.LEAD else None


class MembershipSerializer(serializers.Serializer):
    """One of my teams, with my role in it."""

    id = serializers.IntegerField(source="team.id")
    name = serializers.CharField(source="team.name")
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    member_count = serializers.IntegerField()
    join_code = serializers.SerializerMethodField()

    def get_join_code(self, membership) -> str | None:
        return _join_code_for(membership)


class MemberSerializer(PersonSerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)

    def to_representation(self, membership):
        return {**super().to_representation(membership.user), "role": membership.role}


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    my_role = serializers.SerializerMethodField()
    join_code = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    def _mine(self, team) -> Membership:
        viewer = self.context["request"].user
        return next(m for m in team.memberships.all() if m.user_id == viewer.pk)

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices))
    def get_my_role(self, team) -> str:
        return self._mine(team).role

    def get_join_code(self, team) -> str | None:
        return _join_code_for(self._mine(team))

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, team):
        return MemberSerializer(team.memberships.all(), many=True).data


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
