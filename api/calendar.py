"""The team calendar: a person's secret feed address, and the feed itself, which calendar apps
fetch with nothing but that address (group_sessions.calendar)."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.throttling import client_address
from group_sessions.calendar import calendar_for_secret, calendar_secret_reset


class CalendarAddressSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="subscribe to it in a calendar app; keep it secret, as it is the only key")


class MyCalendar(APIView):
    """A new secret address for my team calendar; the previous one stops working. The address
    is shown once: the server keeps only a hash of it."""

    @extend_schema(request=None, responses=CalendarAddressSerializer)
    def post(self, request):
        secret = calendar_secret_reset(user=request.user)
        return Response({"url": reverse("calendar-feed", kwargs={"secret": secret}, request=request)})


class CalendarFeed(APIView):
    """The scheduled sessions of the address holder's teams, as iCalendar (text/calendar)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def perform_content_negotiation(self, request, force=False):
        # Calendar apps ask for text/calendar; the feed is that whatever they ask for, and a
        # refusal is the usual JSON error body rather than a 406.
        return super().perform_content_negotiation(request, force=True)

    # Outside the API (/calendar/, for calendar apps, not phones) and so outside its schema,
    # like the coaches' pages; README "Team calendar" documents it.
    @extend_schema(exclude=True)
    def get(self, request, secret: str):
        text = calendar_for_secret(secret=secret, address=client_address(request))
        return HttpResponse(text, content_type="text/calendar; charset=utf-8")
