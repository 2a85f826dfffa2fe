"""A team's agreements: their versions, adoption by the lead, and comments from other teams."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.models import COMMENT_MAX_LENGTH, REVIEW_AFTER_DAYS, TEXT_MAX_LENGTH, Agreement, Version
from agreements.selectors import agreement_for_viewer, agreements_for_team
from agreements.services import agreement_adopt, agreement_comment, agreement_create, agreement_propose
from api.people import PersonSerializer
from api.schema import IDEMPOTENCY_CONFLICT, refusals


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=Version.Status.choices)
    proposed_by = PersonSerializer(allow_null=True)
    proposed_at = serializers.DateTimeField()
    adopted_by = PersonSerializer(allow_null=True)
    adopted_at = serializers.DateTimeField(allow_null=True)
    session_id = serializers.IntegerField(allow_null=True, help_text="the live session it was adopted in")


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices)
    review_on = serializers.DateField(allow_null=True)
    current = VersionSerializer(allow_null=True, help_text="null until a version is adopted")
    created_at = serializers.DateTimeField()

    def to_representation(self, agreement):
        current = agreement.current_versions[0] if agreement.current_versions else None
        return {
            "id": agreement.pk,
            "team_id": agreement.team_id,
            "kind": agreement.kind,
            "review_on": serializers.DateField().to_representation(agreement.review_on),
            "current": VersionSerializer(current).data if current else None,
            "created_at": serializers.DateTimeField().to_representation(agreement.created_at),
        }


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = PersonSerializer()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class AgreementDetailSerializer(AgreementSerializer):
    versions = VersionSerializer(many=True, help_text="newest first")
    comments = CommentSerializer(many=True, help_text="the team sees all; someone of another team, their own")

    def to_representation(self, agreement):
        return {
            **super().to_representation(agreement),
            "versions": VersionSerializer(agreement.all_versions, many=True).data,
            "comments": CommentSerializer(agreement.visible_comments, many=True).data,
        }


class AgreementCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices)
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text="the first wording: a draft")
    client_id = serializers.UUIDField()


class ProposeSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    client_id = serializers.UUIDField()


class AdoptSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="the number of the draft to adopt")
    review_on = serializers.DateField(
        required=False, help_text=f"when the team looks at it again; by default in {REVIEW_AFTER_DAYS} days"
    )


class CommentCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
    client_id = serializers.UUIDField()


def _created(data, created: bool) -> Response:
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class TeamAgreements(APIView):
    @extend_schema(responses=AgreementSerializer(many=True))
    def get(self, request, team_id: int):
        """The team's agreements with their current wording: all kinds for its members, the
        contribution agreement for the rest of the organisation."""
        return Response(AgreementSerializer(agreements_for_team(user=request.user, team_id=team_id), many=True).data)

    @extend_schema(
        request=AgreementCreateSerializer,
        responses={
            201: AgreementDetailSerializer,
            200: AgreementDetailSerializer,
            **refusals(409, "agreement_exists", "idempotency_conflict"),
        },
    )
    def post(self, request, team_id: int):
        """Start one of my team's agreements, its first wording a draft (201; a retry, 200)."""
        data = AgreementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement, created = agreement_create(user=request.user, team_id=team_id, **data.validated_data)
        return _created(_detail(request, agreement.pk), created)


def _detail(request, agreement_id: int) -> dict:
    return AgreementDetailSerializer(agreement_for_viewer(user=request.user, agreement_id=agreement_id)).data


class AgreementDetail(APIView):
    @extend_schema(responses=AgreementDetailSerializer)
    def get(self, request, agreement_id: int):
        """One agreement with every version, newest first, and its comments."""
        return Response(_detail(request, agreement_id))


class Versions(APIView):
    @extend_schema(
        request=ProposeSerializer,
        responses={201: VersionSerializer, 200: VersionSerializer, **IDEMPOTENCY_CONFLICT},
    )
    def post(self, request, agreement_id: int):
        """Propose a new wording, as a draft (any member; 201, a retry 200)."""
        data = ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version, created = agreement_propose(user=request.user, agreement_id=agreement_id, **data.validated_data)
        return _created(VersionSerializer(version).data, created)


class Adopt(APIView):
    @extend_schema(
        request=AdoptSerializer, responses={200: AgreementDetailSerializer, **refusals(409, "version_not_draft")}
    )
    def post(self, request, agreement_id: int):
        """The lead makes a draft the team's current agreement (again: the same answer)."""
        data = AdoptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement_adopt(
            user=request.user,
            agreement_id=agreement_id,
            number=data.validated_data["version"],
            review_on=data.validated_data.get("review_on"),
        )
        return Response(_detail(request, agreement_id))


class Comments(APIView):
    @extend_schema(
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, 200: CommentSerializer, **IDEMPOTENCY_CONFLICT},
    )
    def post(self, request, agreement_id: int):
        """A short word on another team's contribution agreement, which that team sees (201; a retry, 200)."""
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment, created = agreement_comment(user=request.user, agreement_id=agreement_id, **data.validated_data)
        return _created(CommentSerializer(comment).data, created)
