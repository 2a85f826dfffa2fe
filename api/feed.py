"""A team's feed: acknowledgements and "leave it with me" moments, newest first.

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
from api.orphans import OrphanSerializer
from api.pagination import LIMIT_DESCRIPTION, LIMIT_SCHEMA, cursor_open, cursor_seal, page_size
from api.people import PersonSerializer
from feed.selectors import Position, feed_for_team


class FeedAcknowledgementSerializer(AcknowledgementSerializer):
    type = serializers.ChoiceField(choices=["acknowledgement"])

    def to_representation(self, item):
        return {"type": item.type, **AcknowledgementSerializer(item.acknowledgement, context=self.context).data}


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
            "at": serializers.DateTimeField().to_representation(activity.created_at),
            "actor": PersonSerializer(activity.actor).data,
            "orphan": OrphanSerializer(activity.orphan).data,
        }


class FeedPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True, help_text="always null: the feed pages forward")
    results = PolymorphicProxySerializer(
        component_name="FeedItem",
        serializers=[FeedAcknowledgementSerializer, FeedOrphanSerializer],
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
        """The team's feed, newest first: acknowledgements shared with the team and "leave it with me" moments."""
        cursor = request.query_params.get("cursor")
        limit = page_size(request, default=20)
        page = feed_for_team(
            user=request.user, team_id=team_id, before=_decode(cursor) if cursor is not None else None, limit=limit
        )
        context = {"request": request}
        results = [
            (FeedAcknowledgementSerializer if item.type == "acknowledgement" else FeedOrphanSerializer)(
                item, context=context
            ).data
            for item in page.items
        ]
        next_link = None
        if page.next:
            query = {**request.query_params.dict(), "cursor": _encode(page.next)}
            next_link = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        return Response({"next": next_link, "previous": None, "results": results})
