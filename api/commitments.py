""" "I'll do it by Friday": a team's commitments, made by their volunteers, done or dropped."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.people import PersonSerializer
from api.schema import IDEMPOTENCY_CONFLICT, refusals
from commitments.models import TEXT_MAX_LENGTH, Commitment
from commitments.selectors import commitments_for_team
from commitments.services import commitment_done, commitment_drop, commitment_make


class CommitmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team_id = serializers.IntegerField()
    text = serializers.CharField()
    volunteer = PersonSerializer()
    check_back = serializers.DateField(source="check_back_on", allow_null=True)
    status = serializers.ChoiceField(choices=Commitment.Status.choices)
    session_id = serializers.IntegerField(allow_null=True, help_text="the live session it was made in")
    created_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    dropped_at = serializers.DateTimeField(allow_null=True)


class CommitmentMakeSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    check_back = serializers.DateField(required=False, allow_null=True, default=None)
    client_id = serializers.UUIDField()


class StatusFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Commitment.Status.choices, required=False)


class TeamCommitments(generics.ListAPIView):
    """My team's commitments, newest first, by status if asked."""

    serializer_class = CommitmentSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Commitment.Status.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = StatusFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return commitments_for_team(
            user=self.request.user, team_id=self.kwargs["team_id"], status=filters.validated_data.get("status")
        )

    @extend_schema(
        request=CommitmentMakeSerializer,
        responses={201: CommitmentSerializer, 200: CommitmentSerializer, **IDEMPOTENCY_CONFLICT},
    )
    def post(self, request, team_id: int):
        """Take something on for my team, optionally with a date to check back (201; a retry, 200)."""
        data = CommitmentMakeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        commitment, created = commitment_make(
            user=request.user,
            team_id=team_id,
            text=fields["text"],
            check_back_on=fields["check_back"],
            client_id=fields["client_id"],
        )
        return Response(
            CommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class _Ending(APIView):
    ending = None

    @extend_schema(request=None, responses={200: CommitmentSerializer, **refusals(409, "commitment_closed")})
    def post(self, request, commitment_id: int):
        return Response(CommitmentSerializer(type(self).ending(user=request.user, commitment_id=commitment_id)).data)


class Done(_Ending):
    """The volunteer kept it: the team sees it on its feed and may acknowledge it (again: the same answer)."""

    ending = commitment_done


class Drop(_Ending):
    """The volunteer lets it go, openly (again: the same answer)."""

    ending = commitment_drop
