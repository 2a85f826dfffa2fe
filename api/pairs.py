"""Pairs: invite a colleague to a pair exercise, answer the invitation, and do it together,
live in the pair's room (see README) or each in their own time over HTTP: the same answers,
revealed to both once both answered."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField
from api.group_sessions import SessionExerciseSerializer
from api.pagination import NewestFirst
from api.people import PersonSerializer
from api.schema import refusals
from pairs.frames import SHOWN_STATUSES, pair_view, summary_view
from pairs.models import ANSWER_MAX_LENGTH, NOTE_MAX_LENGTH
from pairs.selectors import pair_for_person, pairs_for_person
from pairs.services import pair_accept, pair_answer, pair_cancel, pair_decline, pair_invite, pair_reveal


class PairExerciseRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()


class PairSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=SHOWN_STATUSES, help_text="`closed`: declined, cancelled or expired, never saying which"
    )
    step = serializers.IntegerField(help_text="the step the room is on; 0 before the first")
    version = serializers.IntegerField()
    reveal_after_seconds = serializers.IntegerField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    exercise = PairExerciseRefSerializer()
    inviter = PersonSerializer()
    partner = PersonSerializer()
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def to_representation(self, pair):
        return summary_view(pair)


class PairAnswerSerializer(serializers.Serializer):
    author = PersonSerializer()
    text = serializers.CharField()


class PairRoundSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    answered_by = serializers.ListField(child=serializers.IntegerField(), help_text="ids of who has answered")
    revealed = serializers.BooleanField()
    answers = PairAnswerSerializer(many=True, help_text="empty until revealed")


class MyPairAnswerSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    text = serializers.CharField()


class PairSerializer(PairSummarySerializer):
    exercise = SessionExerciseSerializer()
    present = PersonSerializer(many=True)
    rounds = PairRoundSerializer(many=True)
    my_answers = MyPairAnswerSerializer(many=True)


class InviteSerializer(serializers.Serializer):
    exercise = serializers.SlugField(max_length=60)
    partner = IdField()
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")
    client_id = serializers.UUIDField()


class AcceptSerializer(serializers.Serializer):
    reveal_after_seconds = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="agreed wait before either may reveal a step alone"
    )


class AnswerSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=1, max_value=32767)
    text = serializers.CharField(max_length=ANSWER_MAX_LENGTH)


class RevealSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=1, max_value=32767)


def _pair(request, pair) -> Response:
    return Response(pair_view(pair=pair, viewer=request.user))


class Pairs(generics.ListAPIView):
    """My pairs, as inviter or partner, newest first."""

    serializer_class = PairSummarySerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return pairs_for_person(user=self.request.user)

    @extend_schema(
        request=InviteSerializer,
        responses={201: PairSerializer, 200: PairSerializer, **refusals(409, "idempotency_conflict")},
    )
    def post(self, request):
        """Invite a colleague to a pair exercise (201; a retry of the same client_id, 200)."""
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair, created = pair_invite(
            inviter=request.user,
            exercise_slug=data.validated_data["exercise"],
            partner_id=data.validated_data["partner"],
            note=data.validated_data["note"],
            client_id=data.validated_data["client_id"],
        )
        return Response(
            pair_view(pair=pair, viewer=request.user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PairDetail(APIView):
    """One of my pairs: the same object as the room's `snapshot` frame."""

    @extend_schema(responses=PairSerializer)
    def get(self, request, pair_id: int):
        return _pair(request, pair_for_person(user=request.user, pair_id=pair_id))


class Accept(APIView):
    """The partner accepts, perhaps agreeing a time after which either may reveal a step alone."""

    @extend_schema(request=AcceptSerializer, responses={200: PairSerializer, **refusals(409, "pair_not_open")})
    def post(self, request, pair_id: int):
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _pair(request, pair_accept(user=request.user, pair_id=pair_id, **data.validated_data))


class Decline(APIView):
    """The partner declines; the inviter only ever sees the invitation as closed."""

    @extend_schema(request=None, responses={200: PairSerializer, **refusals(409, "pair_not_open")})
    def post(self, request, pair_id: int):
        return _pair(request, pair_decline(user=request.user, pair_id=pair_id))


class Cancel(APIView):
    """The inviter takes back an open invitation."""

    @extend_schema(request=None, responses={200: PairSerializer, **refusals(409, "pair_not_open")})
    def post(self, request, pair_id: int):
        return _pair(request, pair_cancel(user=request.user, pair_id=pair_id))


class Answers(APIView):
    """My answer to a share step, hidden from my partner until both answered (the room's `answer`)."""

    @extend_schema(
        request=AnswerSerializer,
        responses={200: PairSerializer, **refusals(409, "pair_not_active", "round_revealed")},
    )
    def post(self, request, pair_id: int):
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair_answer(user=request.user, pair_id=pair_id, **data.validated_data)
        return _pair(request, pair_for_person(user=request.user, pair_id=pair_id))


class Reveal(APIView):
    """Reveal a step without waiting for my partner, once the time we agreed has passed."""

    @extend_schema(
        request=RevealSerializer,
        responses={200: PairSerializer, **refusals(409, "pair_not_active", "reveal_not_yet")},
    )
    def post(self, request, pair_id: int):
        data = RevealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _pair(request, pair_reveal(user=request.user, pair_id=pair_id, **data.validated_data))
