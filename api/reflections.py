"""The private journal, for its author only: every call is scoped to request.user."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import IDEMPOTENCY_CONFLICT
from reflections.models import BODY_MAX_LENGTH
from reflections.selectors import reflection_body, reflection_for_author, reflections_for_author
from reflections.services import reflection_create, reflection_delete, reflection_update


class ReflectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    body = serializers.SerializerMethodField()
    mood = serializers.IntegerField(allow_null=True)
    energy = serializers.IntegerField(allow_null=True)
    themes = serializers.SerializerMethodField()
    run = serializers.IntegerField(source="run_id", allow_null=True)
    session = serializers.IntegerField(source="session_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_body(self, reflection) -> str:
        return reflection_body(reflection=reflection)

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_themes(self, reflection) -> list[str]:
        return sorted(theme.slug for theme in reflection.themes.all())


class ReflectionWriteSerializer(serializers.Serializer):
    # trim_whitespace off: the journal keeps what was written, line breaks and all.
    body = serializers.CharField(max_length=BODY_MAX_LENGTH, trim_whitespace=False)
    mood = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    energy = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    themes = serializers.ListField(child=serializers.SlugField(max_length=60), max_length=6, required=False)
    run = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    session = serializers.IntegerField(min_value=1, allow_null=True, required=False)


class ReflectionCreateSerializer(ReflectionWriteSerializer):
    client_id = serializers.UUIDField()


def _service_arguments(validated: dict) -> dict:
    renames = {"themes": "theme_slugs", "run": "run_id", "session": "session_id"}
    return {renames.get(key, key): value for key, value in validated.items()}


class Reflections(generics.ListAPIView):
    """My reflections, newest first."""

    serializer_class = ReflectionSerializer

    def get_queryset(self):
        return reflections_for_author(author=self.request.user)

    @extend_schema(
        request=ReflectionCreateSerializer,
        responses={201: ReflectionSerializer, 200: ReflectionSerializer, **IDEMPOTENCY_CONFLICT},
    )
    def post(self, request):
        """Write a reflection (201; a retry of the same client_id, 200)."""
        data = ReflectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reflection, created = reflection_create(author=request.user, **_service_arguments(data.validated_data))
        return Response(
            ReflectionSerializer(reflection).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ReflectionDetail(APIView):
    @extend_schema(responses=ReflectionSerializer)
    def get(self, request, reflection_id: int):
        """One of my reflections."""
        reflection = reflection_for_author(author=request.user, reflection_id=reflection_id)
        return Response(ReflectionSerializer(reflection).data)

    @extend_schema(request=ReflectionWriteSerializer, responses=ReflectionSerializer)
    def patch(self, request, reflection_id: int):
        """Change what I wrote; only the fields sent change."""
        data = ReflectionWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        reflection = reflection_update(
            author=request.user, reflection_id=reflection_id, **_service_arguments(data.validated_data)
        )
        return Response(ReflectionSerializer(reflection).data)

    @extend_schema(responses={204: None})
    def delete(self, request, reflection_id: int):
        """Delete one of my reflections, for good."""
        reflection_delete(author=request.user, reflection_id=reflection_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
