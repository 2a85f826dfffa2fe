"""The catalogue, today's recommendation, and runs.

Catalogue texts are served in the language of the reader's profile locale, in English where the
content pack has no translation (exercises.selectors.text_in).
"""

from django.utils.cache import get_conditional_response, patch_cache_control
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import InOrder, ThemeOrder
from api.people import PersonSerializer
from api.schema import IDEMPOTENCY_CONFLICT
from exercises.models import Exercise, Step
from exercises.selectors import (
    catalogue_version,
    exercise_get,
    exercises_list,
    runs_for_user,
    text_in,
    theme_exists,
    themes_list,
    today_for_user,
)
from exercises.services import run_complete, run_start


class InReadersLanguage:
    """A catalogue text (the field of the same name) in the reader's language."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, item):
        return text_in(item=item, field=self.field_name, locale=self.context["request"].user.locale)


class CatalogueText(InReadersLanguage, serializers.CharField):
    pass


class CatalogueTexts(InReadersLanguage, serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(), **kwargs)


class ThemeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = CatalogueText()
    summary = CatalogueText()


class ThemeRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = CatalogueText()


class StepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Step.Kind.choices)
    text = CatalogueText()
    seconds = serializers.IntegerField(allow_null=True)


class ExerciseSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = CatalogueText()
    theme = ThemeRefSerializer()
    mode = serializers.ChoiceField(choices=Exercise.Mode.choices)
    audience = serializers.ChoiceField(choices=Exercise.Audience.choices, help_text="who it is written for")
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=Exercise.Need.choices), help_text="what it takes besides oneself"
    )
    follow_up_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="the reflection prompt comes this long after completing it (after the meeting or conversation "
        "it prepares); null: straight after",
    )
    duration_minutes = serializers.IntegerField()
    summary = CatalogueText()
    reflection_prompts = CatalogueTexts()
    steps = StepSerializer(many=True, source="steps_in_order")


class ExerciseRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = CatalogueText()
    theme = ThemeRefSerializer()
    mode = serializers.ChoiceField(choices=Exercise.Mode.choices)


class ExerciseFilterSerializer(serializers.Serializer):
    # A slug first (no NUL bytes or other junk reaches the database), then a theme that exists.
    theme = serializers.SlugField(max_length=60, required=False)
    mode = serializers.ChoiceField(choices=Exercise.Mode.choices, required=False)

    def validate_theme(self, slug: str) -> str:
        if not theme_exists(slug=slug):
            raise serializers.ValidationError("No such theme.", code="does_not_exist")
        return slug


class StreakSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    this_week_done = serializers.BooleanField()


class TodaySerializer(serializers.Serializer):
    date = serializers.DateField()
    exercise = ExerciseSerializer(allow_null=True, help_text="null when there is nothing to suggest")
    completed_today = serializers.BooleanField()
    streak = StreakSerializer()
    unread_acknowledgements = serializers.IntegerField()
    partner = PersonSerializer(
        allow_null=True,
        help_text="for a pair exercise: a teammate to invite (never paired with, or longest ago); else null",
    )


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    exercise = ExerciseRefSerializer()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class RunStartSerializer(serializers.Serializer):
    exercise = serializers.SlugField(max_length=60)
    client_id = serializers.UUIDField()
    started_at = serializers.DateTimeField(
        required=False, help_text="when the phone started it, if it was offline (at most OFFLINE_DAYS_MAX back)"
    )


class RunCompleteSerializer(serializers.Serializer):
    completed_at = serializers.DateTimeField(
        required=False,
        help_text="when the phone completed it, if it was offline (not before it started, at most "
        "OFFLINE_DAYS_MAX back); the streak and the weekly look-back count it then",
    )


NOT_MODIFIED = {304: OpenApiResponse(description="unchanged since the `ETag` sent in `If-None-Match`; no body")}
CATALOGUE_HEADERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description="the `ETag` of the catalogue the phone keeps: 304 while it is still current",
    ),
    OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="the catalogue's version and the reader's language",
    ),
    OpenApiParameter(
        "Catalogue-Version", int, OpenApiParameter.HEADER, response=[200, 304], description="the catalogue's version"
    ),
]


class CatalogueCached:
    """A catalogue endpoint: its answer carries the catalogue's version (`Catalogue-Version`) and
    an ETag of that version and the reader's language (the texts are in it), and a phone that
    sends the ETag back (`If-None-Match`) is answered 304 without a body until either changes,
    at the cost of one small query instead of the catalogue's."""

    def get(self, request, *args, **kwargs):
        version = catalogue_version()
        etag = f'"{version}-{request.user.locale}"'
        response = get_conditional_response(request._request, etag=etag) or super().get(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            response["Catalogue-Version"] = str(version)
            patch_cache_control(response, private=True, no_cache=True)  # keep it, but ask each time
        return response


class Themes(CatalogueCached, generics.ListAPIView):
    """The themes the exercises teach."""

    serializer_class = ThemeSerializer
    pagination_class = ThemeOrder

    @extend_schema(parameters=CATALOGUE_HEADERS, responses={200: ThemeSerializer, **NOT_MODIFIED})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return themes_list(organisation_id=self.request.user.organisation_id)


class Exercises(CatalogueCached, generics.ListAPIView):
    """The active catalogue, by theme and mode if asked."""

    serializer_class = ExerciseSerializer
    pagination_class = InOrder

    @extend_schema(
        parameters=[
            OpenApiParameter("theme", str, description="A theme's slug."),
            OpenApiParameter("mode", str, enum=Exercise.Mode.values),
            *CATALOGUE_HEADERS,
        ],
        responses={200: ExerciseSerializer, **NOT_MODIFIED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = ExerciseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return exercises_list(
            organisation_id=self.request.user.organisation_id,
            theme=filters.validated_data.get("theme"),
            mode=filters.validated_data.get("mode"),
        )


class ExerciseDetail(CatalogueCached, generics.RetrieveAPIView):
    """One exercise with its steps."""

    serializer_class = ExerciseSerializer

    @extend_schema(parameters=CATALOGUE_HEADERS, responses={200: ExerciseSerializer, **NOT_MODIFIED})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return exercise_get(slug=self.kwargs["slug"], organisation_id=self.request.user.organisation_id)


class TodayView(APIView):
    """Today's exercise for me (it holds all day), my weekly streak and my unread acknowledgements."""

    @extend_schema(responses=TodaySerializer)
    def get(self, request):
        return Response(TodaySerializer(today_for_user(user=request.user), context={"request": request}).data)


class Runs(generics.ListCreateAPIView):
    """My runs, newest first."""

    serializer_class = RunSerializer

    def get_queryset(self):
        return runs_for_user(user=self.request.user)

    @extend_schema(
        request=RunStartSerializer, responses={201: RunSerializer, 200: RunSerializer, **IDEMPOTENCY_CONFLICT}
    )
    def post(self, request):
        """Start an exercise (201; a retry of the same client_id, 200)."""
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run, created = run_start(
            user=request.user, exercise_slug=data.validated_data.pop("exercise"), **data.validated_data
        )
        return Response(
            RunSerializer(run, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CompleteRun(APIView):
    """Mark my run done; completing it again keeps the first completion time."""

    @extend_schema(request=RunCompleteSerializer, responses=RunSerializer)
    def post(self, request, run_id: int):
        data = RunCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_complete(user=request.user, run_id=run_id, **data.validated_data)
        return Response(RunSerializer(run, context={"request": request}).data)
