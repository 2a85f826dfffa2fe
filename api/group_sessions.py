"""Live group sessions over HTTP: a lead starts one; members read its snapshot. Everything
that happens during the session goes through the room's WebSocket (see README)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import Cursored
from api.people import PersonSerializer
from api.schema import refusals
from exercises.models import Step
from group_sessions.frames import rota_view, session_history, session_view
from group_sessions.models import GroupSession, SessionSeries
from group_sessions.selectors import facilitator_rota, session_for_member, sessions_for_team
from group_sessions.services import session_cancel, session_start
from teams.models import Membership


class SessionStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Step.Kind.choices)
    text = serializers.CharField()
    seconds = serializers.IntegerField(allow_null=True)


class HistoryExerciseSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()


class SessionExerciseSerializer(HistoryExerciseSerializer):
    steps = SessionStepSerializer(many=True)


SHARE_REF_HELP = "names the share in the room's commands (`share`); opaque, unlike ids it tells no order"


class RevealedShareSerializer(serializers.Serializer):
    ref = serializers.CharField(help_text=SHARE_REF_HELP)
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
    ref = serializers.CharField(help_text=SHARE_REF_HELP)
    step = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    value = serializers.IntegerField(allow_null=True)
    anonymous = serializers.BooleanField()


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team_id = serializers.IntegerField()
    phase = serializers.ChoiceField(choices=GroupSession.Phase.choices)
    starts_at = serializers.DateTimeField(
        allow_null=True, help_text="when a scheduled session opens; null if never scheduled"
    )
    repeat = serializers.ChoiceField(choices=SessionSeries.Repeat.choices, help_text="how its series repeats")
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
    starts_at = serializers.DateTimeField(
        required=False, help_text="schedule it for then instead of starting now (ISO 8601 with an offset)"
    )
    repeat = serializers.ChoiceField(
        choices=SessionSeries.Repeat.choices,
        default=SessionSeries.Repeat.NEVER,
        help_text="never (default), weekly or fortnightly; repeating needs starts_at",
    )


class SessionCancelSerializer(serializers.Serializer):
    whole_series = serializers.BooleanField(default=False, help_text="also every later occurrence of its series")


class ProducedSerializer(serializers.Serializer):
    answers = serializers.IntegerField(help_text="answers given in its rounds")
    agreements_adopted = serializers.IntegerField(help_text="agreement versions adopted in it")
    commitments_made = serializers.IntegerField(help_text="commitments made from its shares")
    orphans_created = serializers.IntegerField(help_text="orphans made from its shares")


class HistorySessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phase = serializers.ChoiceField(choices=GroupSession.Phase.choices)
    exercise = HistoryExerciseSerializer()
    starts_at = serializers.DateTimeField(
        allow_null=True, help_text="when it was scheduled for; null if started at once"
    )
    repeat = serializers.ChoiceField(choices=SessionSeries.Repeat.choices)
    opened_at = serializers.DateTimeField(allow_null=True, help_text="null while still to come")
    ended_at = serializers.DateTimeField(allow_null=True)
    facilitator = PersonSerializer(allow_null=True)
    took_part = serializers.BooleanField(help_text="whether I was in its room")
    produced = ProducedSerializer()
    rounds = RoundSerializer(
        many=True, allow_null=True, help_text="its revealed rounds, for those who took part; else null"
    )


class SessionsQuerySerializer(serializers.Serializer):
    when = serializers.ChoiceField(choices=["past", "upcoming"], default="past")


class HeldLatestFirst(Cursored):
    ordering = ("-created_at", "-id")
    page_size = 20


class ScheduledSoonestFirst(Cursored):
    ordering = ("starts_at", "id")
    page_size = 20


class TeamSessions(APIView):
    """The team's sessions (GET), and starting one (POST): the team's lead (any member, when
    the team shares facilitation) starts a live group exercise, or schedules it with
    `starts_at` (201; a retry of the same client_id, 200)."""

    pagination_class = HeldLatestFirst  # for the schema; `when=upcoming` pages soonest first

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "when",
                str,
                enum=["past", "upcoming"],
                description="past (default): held, latest first; upcoming: scheduled, soonest first",
            )
        ],
        responses=HistorySessionSerializer(many=True),
    )
    def get(self, request, team_id: int):
        query = SessionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        upcoming = query.validated_data["when"] == "upcoming"
        paginator = ScheduledSoonestFirst() if upcoming else HeldLatestFirst()
        page = paginator.paginate_queryset(
            sessions_for_team(user=request.user, team_id=team_id, upcoming=upcoming), request, view=self
        )
        return paginator.get_paginated_response(session_history(sessions=page, viewer=request.user))

    @extend_schema(
        request=SessionStartSerializer,
        responses={
            201: SessionSerializer,
            200: SessionSerializer,
            **refusals(403, "not_team_lead"),
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
            starts_at=data.validated_data.get("starts_at"),
            repeat=data.validated_data["repeat"],
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


class CancelSession(APIView):
    """Cancel a scheduled session, or its whole series from now on: the team's lead or whoever
    scheduled it."""

    @extend_schema(
        request=SessionCancelSerializer,
        responses={200: SessionSerializer, **refusals(403, "not_scheduler"), **refusals(409, "not_scheduled")},
    )
    def post(self, request, session_id: int):
        data = SessionCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_cancel(
            user=request.user, session_id=session_id, whole_series=data.validated_data["whole_series"]
        )
        return Response(session_view(session=session, viewer=request.user))


class RotaEntrySerializer(PersonSerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    last_facilitated_at = serializers.DateTimeField(allow_null=True, help_text="null: never facilitated here")
    has_taken_part = serializers.BooleanField(help_text="has been in at least one of the team's sessions")


class TeamRota(APIView):
    """Who might facilitate the team's next session, in the order suggested: those who have
    taken part before the ones who never have, each time the one who facilitated least recently
    first. With the team sharing facilitation, every member; otherwise its leads."""

    @extend_schema(responses=RotaEntrySerializer(many=True))
    def get(self, request, team_id: int):
        rota = facilitator_rota(user=request.user, team_id=team_id)
        return Response(rota_view(memberships=rota))
