"""Devices, nudge preferences and the in-app inbox."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import RecentlySent
from api.schema import LocalTimeField
from nudges.models import Device, Kind, Preferences
from nudges.selectors import inbox_for, preferences_for
from nudges.services import device_register, device_remove, nudge_opened, preferences_update


class DeviceSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    locale = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class PreferencesSerializer(serializers.ModelSerializer):
    """Each kind on or off, and when: times are local, in the profile's time zone."""

    daily_exercise_at = LocalTimeField(required=False)
    quiet_start = LocalTimeField(required=False, help_text="may be after quiet_end: quiet overnight")
    quiet_end = LocalTimeField(required=False)

    class Meta:
        model = Preferences
        fields = [*Kind.values, "daily_exercise_at", "quiet_start", "quiet_end", "daily_cap", "snoozed_until"]
        extra_kwargs = {name: {"required": False} for name in [*Kind.values, "daily_cap", "snoozed_until"]}


class NudgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField()
    body = serializers.CharField()
    sent_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)


class Devices(APIView):
    """Register (201) or refresh (200) this device's push registration token."""

    @extend_schema(request=DeviceSerializer, responses={201: DeviceSerializer, 200: DeviceSerializer})
    def post(self, request):
        data = DeviceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, created = device_register(user=request.user, **data.validated_data)
        return Response(
            DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DeviceDetail(APIView):
    """Forget one of my devices, on sign-out."""

    @extend_schema(responses={204: None})
    def delete(self, request, token: str):
        device_remove(user=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferencesView(APIView):
    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        """My nudge preferences."""
        return Response(PreferencesSerializer(preferences_for(user=request.user)).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request):
        """Change my nudge preferences; fields left out keep their value."""
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PreferencesSerializer(preferences_update(user=request.user, **data.validated_data)).data)


class Inbox(generics.ListAPIView):
    """My in-app inbox of nudges, most recently sent first."""

    serializer_class = NudgeSerializer
    pagination_class = RecentlySent

    def get_queryset(self):
        return inbox_for(user=self.request.user)


class Opened(APIView):
    """Record that I opened a nudge (from the push or the inbox)."""

    @extend_schema(request=None, responses=NudgeSerializer)
    def post(self, request, nudge_id: int):
        return Response(NudgeSerializer(nudge_opened(user=request.user, nudge_id=nudge_id)).data)
