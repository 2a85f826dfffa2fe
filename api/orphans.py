""" "Leave it with me": a team's orphans, their transitions, and the team's figures."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.people import PersonSerializer
from api.schema import IDEMPOTENCY_CONFLICT, refusals
from orphans.models import DETAIL_MAX_LENGTH, NOTE_MAX_LENGTH, TITLE_MAX_LENGTH, Orphan
from orphans.selectors import orphan_for_member, orphan_stats, orphans_for_team
from orphans.services import orphan_claim, orphan_done, orphan_post, orphan_release, orphan_reopen


class OrphanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team_id = serializers.IntegerField()
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=Orphan.Status.choices)
    posted_by = PersonSerializer()
    claimed_by = PersonSerializer(allow_null=True)
    claimed_at = serializers.DateTimeField(allow_null=True)
    check_back = serializers.DateField(
        source="check_back_on", allow_null=True, help_text="the claimant's date to check back"
    )
    done_at = serializers.DateTimeField(allow_null=True)
    done_note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()


class OrphanPostSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    detail = serializers.CharField(max_length=DETAIL_MAX_LENGTH, required=False, allow_blank=True, default="")
    client_id = serializers.UUIDField()


class DoneSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


class ClaimSerializer(serializers.Serializer):
    check_back = serializers.DateField(required=False, allow_null=True, default=None)


class StatusFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Orphan.Status.choices, required=False)


class OrphanWeekSerializer(serializers.Serializer):
    week = serializers.CharField(help_text="ISO week, e.g. 2026-W48 (weeks in UTC)")
    starts_on = serializers.DateField()
    posted = serializers.IntegerField()
    claimed = serializers.IntegerField(help_text="first claimed that week")
    done = serializers.IntegerField()
    median_minutes_to_claim = serializers.FloatField(allow_null=True)


class StatsQuerySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(min_value=1, max_value=52, required=False, default=12)


class TeamOrphans(generics.ListAPIView):
    """My team's orphans, newest first, by status if asked."""

    serializer_class = OrphanSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Orphan.Status.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = StatusFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return orphans_for_team(
            user=self.request.user, team_id=self.kwargs["team_id"], status=filters.validated_data.get("status")
        )

    @extend_schema(
        request=OrphanPostSerializer, responses={201: OrphanSerializer, 200: OrphanSerializer, **IDEMPOTENCY_CONFLICT}
    )
    def post(self, request, team_id: int):
        """Post a problem nobody owns to my team (201; a retry of the same client_id, 200)."""
        data = OrphanPostSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        orphan, created = orphan_post(user=request.user, team_id=team_id, **data.validated_data)
        return Response(
            OrphanSerializer(orphan).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class TeamOrphanStats(APIView):
    """My team's orphans per ISO week: posted, first claimed, done, median minutes to claim."""

    @extend_schema(parameters=[StatsQuerySerializer], responses=OrphanWeekSerializer(many=True))
    def get(self, request, team_id: int):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        weeks = orphan_stats(user=request.user, team_id=team_id, weeks=query.validated_data["weeks"])
        return Response(OrphanWeekSerializer(weeks, many=True).data)


class OrphanDetail(APIView):
    """One of my team's orphans."""

    @extend_schema(responses=OrphanSerializer)
    def get(self, request, orphan_id: int):
        return Response(OrphanSerializer(orphan_for_member(user=request.user, orphan_id=orphan_id)).data)


# What a step only the claimant may take is refused with (orphans.services._refusal).
CLAIMANT_ONLY = ("not_claimed", "not_your_claim", "already_done")


def refusing(*codes: str):
    """A transition's schema: the orphan, or a 409 with one of these codes."""
    return extend_schema_view(
        post=extend_schema(request=None, responses={200: OrphanSerializer, **refusals(409, *codes)})
    )


class _Transition(APIView):
    transition = None

    def post(self, request, orphan_id: int):
        return Response(OrphanSerializer(type(self).transition(user=request.user, orphan_id=orphan_id)).data)


class Claim(APIView):
    """ "Leave it with me": claim an open orphan (one claimant at a time), optionally with a date to check back."""

    @extend_schema(
        request=ClaimSerializer, responses={200: OrphanSerializer, **refusals(409, "already_claimed", "already_done")}
    )
    def post(self, request, orphan_id: int):
        data = ClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        orphan = orphan_claim(user=request.user, orphan_id=orphan_id, check_back_on=data.validated_data["check_back"])
        return Response(OrphanSerializer(orphan).data)


@refusing(*CLAIMANT_ONLY)
class Release(_Transition):
    """The claimant hands it back: open again."""

    transition = orphan_release


@refusing("claim_not_stale", "not_claimed", "already_done")
class Reopen(_Transition):
    """A lead frees a claim with no activity for ORPHAN_STALE_DAYS."""

    transition = orphan_reopen


class Done(APIView):
    """The claimant marks it done, with a note for the team."""

    @extend_schema(
        request=DoneSerializer,
        responses={200: OrphanSerializer, **refusals(409, *CLAIMANT_ONLY)},
    )
    def post(self, request, orphan_id: int):
        data = DoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            OrphanSerializer(orphan_done(user=request.user, orphan_id=orphan_id, note=data.validated_data["note"])).data
        )
