"""Tickets for WebSocket clients that cannot send an Authorization header."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import connection_ticket_issue


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Pass as ?ticket= on the WebSocket URL; works once.")
    expires_at = serializers.DateTimeField()


class Ticket(APIView):
    """A single-use, short-lived pass for a WebSocket connection."""

    @extend_schema(request=None, responses={201: TicketSerializer})
    def post(self, request):
        ticket, expires_at = connection_ticket_issue(user=request.user)
        return Response(
            TicketSerializer({"ticket": ticket, "expires_at": expires_at}).data, status=status.HTTP_201_CREATED
        )
