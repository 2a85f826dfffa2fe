"""Live group sessions over HTTP: a lead starts one; members read its snapshot. Everything
that happens during the session goes through the room's WebSocket (see README)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.people import PersonSerializer
from api.schema import refusals
from exercises.models import Step
from group_sessions.frames import session_view
from group_sessions.models import GroupSession
from group_sessions.selectors import session_for_member
from group_sessions.services import session_start


class SessionStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Step.Kind.choices)
    text = serializers.CharField()
    seconds = serializers.IntegerField(allow_null=True)


class SessionExerciseSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    steps = SessionStepSerializer(many=True)


class RevealedShareSerializer(serializers.Serializer):
    text = serializers.CharField()
    author = PersonSerializer(allow_null=True, help_text="null when the share is anonymous")


class RoundSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[Step.Kind.SHARE, Step.Kind.CHECKIN])
    revealed = serializers.BooleanField()
    count = serializers.IntegerField()
    shares = RevealedShareSerializer(many=True, required=False, help_text="share rounds: empty until revealed")
    average = serializers.FloatField(
        allow_null=True, required=False, help_text="check-ins: null until revealed with at least `minimum` answers"
    )
    distribution = serializers.DictField(
        child=serializers.IntegerField(),
        allow_null=True,
        required=False,
        help_text="check-ins: how many answered each score, keys 1 to 5; null like `average`",
    )
    minimum = serializers.IntegerField(required=False)


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    step = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    value = serializers.IntegerField(allow_null=True)
    anonymous = serializers.BooleanField()


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team_id = serializers.IntegerField()
    phase = serializers.ChoiceField(choices=GroupSession.Phase.choices)
    step = serializers.IntegerField()
    deadline = serializers.DateTimeField(allow_null=True)
    facilitator = PersonSerializer(allow_null=True)
    version = serializers.IntegerField()
    exercise = SessionExerciseSerializer()
    present = PersonSerializer(many=True)
    rounds = RoundSerializer(many=True)
    my_answers = AnswerSerializer(many=True)


class SessionStartSerializer(serializers.Serializer):
    exercise = serializers.SlugField(max_length=60)
    client_id = serializers.UUIDField()


class TeamSessions(APIView):
    """The team's lead starts a live group exercise (201; a retry of the same client_id, 200)."""

    @extend_schema(
        request=SessionStartSerializer,
        responses={
            201: SessionSerializer,
            200: SessionSerializer,
            **refusals(409, "session_already_live", "idempotency_conflict"),
        },
    )
    def post(self, request, team_id: int):
        data = SessionStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session, created = session_start(
            lead=request.user,
            team_id=team_id,
            exercise_slug=data.validated_data["exercise"],
            client_id=data.validated_data["client_id"],
        )
        return Response(
            session_view(session=session, viewer=request.user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SessionDetail(APIView):
    """A session's snapshot, the same object as the room's `snapshot` frame."""

    @extend_schema(responses=SessionSerializer)
    def get(self, request, session_id: int):
        session = session_for_member(user=request.user, session_id=session_id)
        return Response(session_view(session=session, viewer=request.user))
