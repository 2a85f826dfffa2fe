"""The catalogue, today's recommendation, and runs.

Catalogue texts are served in the language of the reader's profile locale, in English where the
content pack has no translation (exercises.selectors.text_in).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import InOrder, ThemeOrder
from api.people import PersonSerializer
from api.schema import IDEMPOTENCY_CONFLICT
from exercises.models import Exercise, Step
from exercises.selectors import (
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


class Themes(generics.ListAPIView):
    """The themes the exercises teach."""

    serializer_class = ThemeSerializer
    pagination_class = ThemeOrder

    def get_queryset(self):
        return themes_list()


class Exercises(generics.ListAPIView):
    """The active catalogue, by theme and mode if asked."""

    serializer_class = ExerciseSerializer
    pagination_class = InOrder

    @extend_schema(
        parameters=[
            OpenApiParameter("theme", str, description="A theme's slug."),
            OpenApiParameter("mode", str, enum=Exercise.Mode.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = ExerciseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return exercises_list(theme=filters.validated_data.get("theme"), mode=filters.validated_data.get("mode"))


class ExerciseDetail(APIView):
    """One exercise with its steps."""

    @extend_schema(responses=ExerciseSerializer)
    def get(self, request, slug: str):
        return Response(ExerciseSerializer(exercise_get(slug=slug), context={"request": request}).data)


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
            user=request.user, exercise_slug=data.validated_data["exercise"], client_id=data.validated_data["client_id"]
        )
        return Response(
            RunSerializer(run, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CompleteRun(APIView):
    """Mark my run done; completing it again keeps the first completion time."""

    @extend_schema(request=None, responses=RunSerializer)
    def post(self, request, run_id: int):
        run = run_complete(user=request.user, run_id=run_id)
        return Response(RunSerializer(run, context={"request": request}).data)
