""" "I see you" acknowledgements: sending, my lists, the team feed, and what one can do to one."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from acknowledgements.models import MESSAGE_MAX_LENGTH, Acknowledgement, Reaction
from acknowledgements.presenters import acknowledgement_view
from acknowledgements.selectors import acknowledgements_received, acknowledgements_sent
from acknowledgements.services import (
    acknowledgement_create,
    acknowledgement_hide,
    acknowledgement_mark_read,
    acknowledgement_report,
    reaction_add,
    reaction_remove,
)
from api.fields import IdField
from api.people import PersonSerializer
from api.schema import IDEMPOTENCY_CONFLICT


class ReactionCountsSerializer(serializers.Serializer):
    heart = serializers.IntegerField()
    clap = serializers.IntegerField()
    inspired = serializers.IntegerField()
    thanks = serializers.IntegerField()


class AcknowledgementSerializer(serializers.Serializer):
    """An acknowledgement as the requesting person sees it (acknowledgements.presenters decides
    what depends on who is looking); the fields here describe that shape."""

    id = serializers.IntegerField()
    sender = PersonSerializer()
    recipient = PersonSerializer()
    message = serializers.CharField()
    behaviour = serializers.ChoiceField(choices=Acknowledgement.Behaviour.choices)
    visibility = serializers.ChoiceField(choices=Acknowledgement.Visibility.choices)
    client_id = serializers.UUIDField(allow_null=True, help_text="the sender's own retry key; null for anyone else")
    orphan = serializers.IntegerField(allow_null=True)
    commitment = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="only ever shown to the recipient")
    on_team_feed = serializers.BooleanField()
    reactions = ReactionCountsSerializer()
    my_reactions = serializers.ListField(child=serializers.ChoiceField(choices=Reaction.Kind.choices))

    def to_representation(self, acknowledgement):
        return acknowledgement_view(acknowledgement=acknowledgement, viewer=self.context["request"].user)


class AcknowledgementCreateSerializer(serializers.Serializer):
    recipient = IdField()
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)
    behaviour = serializers.ChoiceField(choices=Acknowledgement.Behaviour.choices)
    visibility = serializers.ChoiceField(
        choices=Acknowledgement.Visibility.choices, default=Acknowledgement.Visibility.PRIVATE
    )
    client_id = serializers.UUIDField()
    orphan = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="the jump-in it celebrates"
    )
    commitment = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="the commitment it celebrates (its volunteer's)"
    )


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportReceiptSerializer(serializers.Serializer):
    acknowledgement = serializers.IntegerField(source="acknowledgement_id")
    created_at = serializers.DateTimeField()


class _AcknowledgementList(generics.ListAPIView):
    serializer_class = AcknowledgementSerializer


class Received(_AcknowledgementList):
    """The acknowledgements I received, newest first."""

    def get_queryset(self):
        return acknowledgements_received(user=self.request.user)


class Sent(_AcknowledgementList):
    """The acknowledgements I sent, newest first."""

    def get_queryset(self):
        return acknowledgements_sent(user=self.request.user)


def _shown(request, acknowledgement, *, status_code=status.HTTP_200_OK) -> Response:
    return Response(AcknowledgementSerializer(acknowledgement, context={"request": request}).data, status=status_code)


class Acknowledgements(APIView):
    @extend_schema(
        request=AcknowledgementCreateSerializer,
        responses={201: AcknowledgementSerializer, 200: AcknowledgementSerializer, **IDEMPOTENCY_CONFLICT},
    )
    def post(self, request):
        """Send "I see you" to a colleague in my organisation (201; a retry of the same client_id, 200)."""
        data = AcknowledgementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        acknowledgement, created = acknowledgement_create(
            sender=request.user,
            recipient_id=fields["recipient"],
            message=fields["message"],
            behaviour=fields["behaviour"],
            visibility=fields["visibility"],
            client_id=fields["client_id"],
            orphan_id=fields.get("orphan"),
            commitment_id=fields.get("commitment"),
        )
        return _shown(request, acknowledgement, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MarkRead(APIView):
    """The recipient marks one read (only they ever learn when)."""

    @extend_schema(request=None, responses=AcknowledgementSerializer)
    def post(self, request, acknowledgement_id: int):
        return _shown(request, acknowledgement_mark_read(user=request.user, acknowledgement_id=acknowledgement_id))


KIND = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Reaction.Kind.values)


class Reactions(APIView):
    # Both answer the acknowledgement as it now stands, so a client shows the new counts at once.
    @extend_schema(parameters=[KIND], request=None, responses=AcknowledgementSerializer)
    def post(self, request, acknowledgement_id: int, kind: str):
        """React to one I can see; reacting twice with a kind is one reaction."""
        return _shown(request, reaction_add(user=request.user, acknowledgement_id=acknowledgement_id, kind=kind))

    @extend_schema(parameters=[KIND], request=None, responses={200: AcknowledgementSerializer})
    def delete(self, request, acknowledgement_id: int, kind: str):
        """Take my reaction of this kind back (harmless if I never gave it)."""
        return _shown(request, reaction_remove(user=request.user, acknowledgement_id=acknowledgement_id, kind=kind))


class Hide(APIView):
    """The recipient takes one off the team feed; it stays in both people's lists."""

    @extend_schema(request=None, responses=AcknowledgementSerializer)
    def post(self, request, acknowledgement_id: int):
        return _shown(request, acknowledgement_hide(user=request.user, acknowledgement_id=acknowledgement_id))


class ReportView(APIView):
    """Say one I can see is not OK: it leaves the team feed until an org admin reviews it."""

    @extend_schema(request=ReportSerializer, responses={201: ReportReceiptSerializer})
    def post(self, request, acknowledgement_id: int):
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = acknowledgement_report(
            user=request.user, acknowledgement_id=acknowledgement_id, reason=data.validated_data["reason"]
        )
        return Response(ReportReceiptSerializer(report).data, status=status.HTTP_201_CREATED)
