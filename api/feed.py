"""A team's feed: acknowledgements, "leave it with me" moments, agreements adopted and
commitments kept, newest first.

Its pages are cut by a position in time rather than by one table's ids, because it merges two
kinds of item; the `next` link carries that position as an opaque, signed cursor (see
api.pagination: a cursor the feed did not give out is a 400 `invalid_cursor`).
"""

from datetime import datetime
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.acknowledgements import AcknowledgementSerializer
from api.agreements import VersionSerializer
from api.commitments import CommitmentSerializer
from api.orphans import OrphanSerializer
from api.pagination import LIMIT_DESCRIPTION, LIMIT_SCHEMA, cursor_open, cursor_seal, page_size
from api.people import PersonSerializer
from feed.selectors import Position, feed_for_team


class FeedAcknowledgementSerializer(AcknowledgementSerializer):
    type = serializers.ChoiceField(choices=["acknowledgement"])

    def to_representation(self, item):
        return {"type": item.type, **super().to_representation(item.acknowledgement)}


class FeedOrphanSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["orphan.posted", "orphan.claimed", "orphan.done"])
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = PersonSerializer()
    orphan = OrphanSerializer()

    def to_representation(self, item):
        activity = item.activity
        return {
            "type": item.type,
            "id": activity.pk,
            "at": self.fields["at"].to_representation(activity.created_at),
            "actor": self.fields["actor"].to_representation(activity.actor),
            "orphan": self.fields["orphan"].to_representation(activity.orphan),
        }


class FeedAgreementSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["agreement.adopted"])
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = PersonSerializer(allow_null=True, help_text="who adopted it: the lead, or a session's facilitator")
    agreement_id = serializers.IntegerField()
    kind = serializers.CharField()
    version = VersionSerializer()

    def to_representation(self, item):
        version = item.version
        return {
            "type": item.type,
            "id": version.pk,
            "at": self.fields["at"].to_representation(version.adopted_at),
            "actor": self.fields["actor"].to_representation(version.adopted_by) if version.adopted_by else None,
            "agreement_id": version.agreement_id,
            "kind": version.agreement.kind,
            "version": self.fields["version"].to_representation(version),
        }


class FeedCommitmentSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["commitment.done"])
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = PersonSerializer(help_text="the volunteer, who kept it")
    commitment = CommitmentSerializer()

    def to_representation(self, item):
        commitment = item.commitment
        return {
            "type": item.type,
            "id": commitment.pk,
            "at": self.fields["at"].to_representation(commitment.done_at),
            "actor": self.fields["actor"].to_representation(commitment.volunteer),
            "commitment": self.fields["commitment"].to_representation(commitment),
        }


SERIALIZER_OF = {
    "acknowledgement": FeedAcknowledgementSerializer,
    "agreement.adopted": FeedAgreementSerializer,
    "commitment.done": FeedCommitmentSerializer,
}


class FeedPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True, help_text="always null: the feed pages forward")
    results = PolymorphicProxySerializer(
        component_name="FeedItem",
        serializers=[
            FeedAcknowledgementSerializer,
            FeedOrphanSerializer,
            FeedAgreementSerializer,
            FeedCommitmentSerializer,
        ],
        resource_type_field_name=None,
        many=True,
    )


def _encode(position: Position) -> str:
    return cursor_seal(f"{position.at.isoformat()}|{position.source}|{position.id}", kind="feed")


def _decode(cursor: str) -> Position:
    at, source, id_ = cursor_open(cursor, kind="feed").split("|")
    return Position(datetime.fromisoformat(at), int(source), int(id_))


class TeamFeed(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", LIMIT_SCHEMA, description=LIMIT_DESCRIPTION),
        ],
        responses=FeedPageSerializer,
    )
    def get(self, request, team_id: int):
        """The team's feed, newest first: acknowledgements shared with the team, "leave it with me"
        moments, agreements adopted and commitments kept."""
        cursor = request.query_params.get("cursor")
        limit = page_size(request, default=20)
        page = feed_for_team(
            user=request.user, team_id=team_id, before=_decode(cursor) if cursor is not None else None, limit=limit
        )
        # One serializer of each type for the whole page (their fields are built on first use):
        # making one per item was most of its cost.
        context = {"request": request}
        serializers_of = {type_: serializer(context=context) for type_, serializer in SERIALIZER_OF.items()}
        orphan_moment = FeedOrphanSerializer(context=context)
        results = [serializers_of.get(item.type, orphan_moment).to_representation(item) for item in page.items]
        next_link = None
        if page.next:
            query = {**request.query_params.dict(), "cursor": _encode(page.next)}
            next_link = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        return Response({"next": next_link, "previous": None, "results": results})
