"""The private journal, for its author only: every call is scoped to request.user. Once the
person's phone turns end-to-end encryption on (me/journal), the words travel only as documents
the phone encrypted; the server keeps their ciphertext and the wrapped keys, never a key."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField, WholeNumberField
from api.pagination import NewestWrittenFirst
from api.schema import refusals
from reflections.formats import DOCUMENT_FORMATS, EncryptedDocument
from reflections.models import BODY_MAX_LENGTH, DOCUMENT_MAX_LENGTH
from reflections.selectors import (
    journal_for_author,
    journal_trends,
    on_this_day,
    reflection_body,
    reflection_for_author,
    reflections_for_author,
)
from reflections.services import (
    journal_device_add,
    journal_device_remove,
    journal_device_wrap,
    journal_turn_on,
    reflection_create,
    reflection_delete,
    reflection_update,
)

BASE64 = {"max_length": 128, "help_text": "standard base64"}
# Plain words for an end-to-end journal, or a document before it is one.
JOURNAL_CONFLICTS = ("journal_end_to_end", "journal_not_end_to_end")


class DocumentSerializer(serializers.Serializer):
    ciphertext = serializers.CharField(
        max_length=DOCUMENT_MAX_LENGTH,
        help_text="base64 of a 24-byte nonce then XChaCha20-Poly1305-IETF of the JSON document under the journal "
        "key, with the reflection's client_id as additional data",
    )
    key_id = serializers.CharField(max_length=64)
    format = serializers.ChoiceField(choices=DOCUMENT_FORMATS)


class ReflectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    body = serializers.SerializerMethodField(help_text="null once the words are end to end encrypted")
    document = serializers.SerializerMethodField(help_text="the encrypted words; null while the server encrypts them")
    mood = serializers.IntegerField(allow_null=True)
    energy = serializers.IntegerField(allow_null=True)
    themes = serializers.SerializerMethodField()
    run = serializers.IntegerField(source="run_id", allow_null=True)
    session = serializers.IntegerField(source="session_id", allow_null=True)
    prompt_step = serializers.IntegerField(source="prompt_step_id", allow_null=True)
    prompt_nudge = serializers.IntegerField(source="prompt_nudge_id", allow_null=True)
    occurred_at = serializers.DateTimeField(help_text="when it was written on the phone")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_body(self, reflection) -> str | None:
        return reflection_body(reflection=reflection)

    @extend_schema_field(DocumentSerializer(allow_null=True))
    def get_document(self, reflection) -> dict | None:
        if not reflection.end_to_end:
            return None
        return {"ciphertext": reflection.document, "key_id": reflection.key_id, "format": reflection.document_format}

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_themes(self, reflection) -> list[str]:
        return sorted(theme.slug for theme in reflection.themes.all())


class ReflectionWriteSerializer(serializers.Serializer):
    # trim_whitespace off: the journal keeps what was written, line breaks and all.
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH, trim_whitespace=False, required=False, help_text="until the journal is end to end"
    )
    document = DocumentSerializer(required=False, help_text="once the journal is end to end: instead of body")
    mood = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    energy = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    themes = serializers.ListField(child=serializers.SlugField(max_length=60), max_length=6, required=False)
    run = IdField(allow_null=True, required=False)
    session = IdField(allow_null=True, required=False)


class ReflectionCreateSerializer(ReflectionWriteSerializer):
    client_id = serializers.UUIDField()
    occurred_at = serializers.DateTimeField(
        required=False, help_text="when it was written, if offline: not in the future, at most OFFLINE_DAYS_MAX back"
    )
    prompt_step = IdField(required=False, help_text="the exercise step it answers")
    prompt_nudge = IdField(required=False, help_text="the nudge that invited it")


class ReflectionFilterSerializer(serializers.Serializer):
    theme = serializers.SlugField(max_length=60, required=False)
    mood = WholeNumberField(min_value=1, max_value=5, required=False)
    run = IdField(required=False)
    session = IdField(required=False)
    since = serializers.DateTimeField(required=False, help_text="written at or after")
    until = serializers.DateTimeField(required=False, help_text="written before")


class OnThisDayEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()


class OnThisDaySerializer(serializers.Serializer):
    month = OnThisDayEntrySerializer(many=True, help_text="about a month ago")
    quarter = OnThisDayEntrySerializer(many=True, help_text="about three months ago")
    year = OnThisDayEntrySerializer(many=True, help_text="about a year ago")


class TrendWeekSerializer(serializers.Serializer):
    week = serializers.CharField(help_text="ISO week, in the person's time zone")
    mood = serializers.FloatField(allow_null=True)
    energy = serializers.FloatField(allow_null=True)
    entries = serializers.IntegerField(help_text="entries with a mood")
    practised = serializers.DictField(child=serializers.IntegerField(), help_text="runs completed, by theme")


class TrendThemeSerializer(serializers.Serializer):
    theme = serializers.SlugField()
    weeks_practised = serializers.IntegerField()
    mood_when_practised = serializers.FloatField(allow_null=True)
    mood_otherwise = serializers.FloatField(allow_null=True)
    energy_when_practised = serializers.FloatField(allow_null=True)
    energy_otherwise = serializers.FloatField(allow_null=True)


class TrendsSerializer(serializers.Serializer):
    weeks = TrendWeekSerializer(many=True)
    themes = TrendThemeSerializer(many=True)


def _service_arguments(validated: dict) -> dict:
    renames = {
        "themes": "theme_slugs",
        "run": "run_id",
        "session": "session_id",
        "prompt_step": "prompt_step_id",
        "prompt_nudge": "prompt_nudge_id",
    }
    arguments = {renames.get(key, key): value for key, value in validated.items()}
    if "document" in arguments:
        arguments["document"] = EncryptedDocument(**arguments["document"])
    return arguments


class Reflections(generics.ListAPIView):
    """My reflections, newest written first, narrowed by what is in the clear (searching the words
    is the phone's: only it can read them)."""

    serializer_class = ReflectionSerializer
    pagination_class = NewestWrittenFirst

    @extend_schema(parameters=[ReflectionFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = ReflectionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = dict(filters.validated_data)
        return reflections_for_author(
            author=self.request.user,
            theme=chosen.get("theme"),
            mood=chosen.get("mood"),
            run_id=chosen.get("run"),
            session_id=chosen.get("session"),
            since=chosen.get("since"),
            until=chosen.get("until"),
        )

    @extend_schema(
        request=ReflectionCreateSerializer,
        responses={
            201: ReflectionSerializer,
            200: ReflectionSerializer,
            **refusals(409, "idempotency_conflict", *JOURNAL_CONFLICTS),
        },
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

    @extend_schema(
        request=ReflectionWriteSerializer, responses={200: ReflectionSerializer, **refusals(409, *JOURNAL_CONFLICTS)}
    )
    def patch(self, request, reflection_id: int):
        """Change what I wrote; only the fields sent change. A `document` for words the server
        encrypted moves them over to end to end, and the server's readable copy is deleted."""
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


class OnThisDay(APIView):
    @extend_schema(responses=OnThisDaySerializer)
    def get(self, request):
        """My entries written about a month, a quarter and a year before today: ids and times, for
        the phone to decrypt."""
        entries = on_this_day(author=request.user)
        return Response(OnThisDaySerializer(entries).data)


class Trends(APIView):
    @extend_schema(responses=TrendsSerializer)
    def get(self, request):
        """My own mood and energy by week over the last 12, and how they moved with the themes I
        practised. Mine alone: nobody else ever sees it."""
        return Response(TrendsSerializer(journal_trends(author=request.user)).data)


class RecoverySerializer(serializers.Serializer):
    wrapped_key = serializers.CharField(**BASE64)
    salt = serializers.CharField(**BASE64)
    opslimit = serializers.IntegerField(help_text="Argon2id operations limit")
    memlimit = serializers.IntegerField(help_text="Argon2id memory limit, bytes")


class JournalDeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=80)
    public_key = serializers.CharField(help_text="X25519, base64", **{"max_length": 128})
    wrapped_key = serializers.CharField(
        allow_blank=True, required=False, help_text="the journal key sealed for this device; blank until wrapped"
    )
    created_at = serializers.DateTimeField(read_only=True)
    wrapped_at = serializers.DateTimeField(read_only=True, allow_null=True)


class JournalSerializer(serializers.Serializer):
    end_to_end = serializers.BooleanField()
    key_id = serializers.CharField(allow_null=True)
    recovery = RecoverySerializer(allow_null=True)
    devices = JournalDeviceSerializer(many=True)
    server_readable = serializers.IntegerField(help_text="reflections the phone has still to move over")


class JournalTurnOnSerializer(serializers.Serializer):
    key_id = serializers.CharField(max_length=64)
    recovery = RecoverySerializer()
    device = JournalDeviceSerializer()


class WrapSerializer(serializers.Serializer):
    wrapped_key = serializers.CharField(**BASE64)


def _journal_view(journal) -> dict:
    if journal is None:
        return {"end_to_end": False, "key_id": None, "recovery": None, "devices": [], "server_readable": 0}
    return {
        "end_to_end": True,
        "key_id": journal.key_id,
        "recovery": {
            "wrapped_key": journal.recovery_wrapped_key,
            "salt": journal.recovery_salt,
            "opslimit": journal.recovery_opslimit,
            "memlimit": journal.recovery_memlimit,
        },
        "devices": JournalDeviceSerializer(journal.devices, many=True).data,
        "server_readable": journal.server_readable,
    }


class Journal(APIView):
    """My journal's end-to-end encryption: its key as the server holds it (wrapped, never in the
    clear) and my devices. Losing every device and the recovery phrase loses the journal:
    nothing on the server can open it."""

    @extend_schema(responses=JournalSerializer)
    def get(self, request):
        """My journal key, wrapped for the recovery phrase and for each of my devices."""
        return Response(JournalSerializer(_journal_view(journal_for_author(author=request.user))).data)

    @extend_schema(
        request=JournalTurnOnSerializer, responses={201: JournalSerializer, **refusals(409, "journal_end_to_end")}
    )
    def post(self, request):
        """Turn end-to-end encryption on with the key my phone made (201; the same again, a retry).
        From then on the server takes only encrypted documents."""
        data = JournalTurnOnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery, device = data.validated_data["recovery"], data.validated_data["device"]
        journal_turn_on(
            author=request.user,
            key_id=data.validated_data["key_id"],
            recovery_wrapped_key=recovery["wrapped_key"],
            recovery_salt=recovery["salt"],
            recovery_opslimit=recovery["opslimit"],
            recovery_memlimit=recovery["memlimit"],
            device_name=device["name"],
            device_public_key=device["public_key"],
            device_wrapped_key=device.get("wrapped_key", ""),
        )
        journal = journal_for_author(author=request.user)
        return Response(JournalSerializer(_journal_view(journal)).data, status=status.HTTP_201_CREATED)


class JournalDevices(APIView):
    @extend_schema(
        request=JournalDeviceSerializer,
        responses={201: JournalDeviceSerializer, **refusals(409, "journal_not_end_to_end")},
    )
    def post(self, request):
        """Add a phone to my journal: its public key, and, if it recovered the key with the phrase,
        the key sealed for itself. Otherwise another of my devices wraps it (…/wrap)."""
        data = JournalDeviceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = journal_device_add(author=request.user, **data.validated_data)
        return Response(JournalDeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class JournalDevice(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, device_id: int):
        """Remove a lost or retired phone: its wrapped key is deleted."""
        journal_device_remove(author=request.user, device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JournalDeviceWrap(APIView):
    @extend_schema(request=WrapSerializer, responses=JournalDeviceSerializer)
    def post(self, request, device_id: int):
        """From one of my devices: the journal key sealed for another of mine."""
        data = WrapSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = journal_device_wrap(
            author=request.user, device_id=device_id, wrapped_key=data.validated_data["wrapped_key"]
        )
        return Response(JournalDeviceSerializer(device).data)
