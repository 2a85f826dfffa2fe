"""A team's chat channel: its lead connects a Slack or Microsoft Teams channel through an
incoming webhook, sees how it is doing (the address masked), turns it back on after it failed,
or disconnects it. The worker posts the team's moments there (chat.delivery)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.people import PersonSerializer
from api.schema import refusals
from chat.models import Channel
from chat.presenters import NOT_CONNECTED, channel_view
from chat.selectors import channel_for_keeper
from chat.services import chat_connect, chat_disconnect, chat_enable
from chat.webhooks import URL_MAX_LENGTH


class ChatChannelSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[NOT_CONNECTED, *Channel.Status.values],
        help_text="`failing`: posts stopped (see `failure`) until the channel is connected again or turned back on",
    )
    kind = serializers.ChoiceField(choices=Channel.Kind.values, allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="the webhook address, masked")
    failure = serializers.CharField(allow_null=True, help_text="why posts stopped, for people")
    connected_at = serializers.DateTimeField(allow_null=True)
    connected_by = PersonSerializer(allow_null=True)
    last_posted_at = serializers.DateTimeField(allow_null=True)


class ConnectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[Channel.Kind.SLACK, Channel.Kind.TEAMS])
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="the incoming webhook's https address: hooks.slack.com for Slack; a Teams connector "
        "(*.webhook.office.com) or a Workflows address (*.logic.azure.com, *.powerplatform.com) for Teams",
    )


LEAD_ONLY = refusals(403, "not_team_lead")


class TeamChat(APIView):
    """The team's chat channel, for its lead."""

    @extend_schema(responses={200: ChatChannelSerializer, **LEAD_ONLY})
    def get(self, request, team_id: int):
        """The channel's status, with its address masked (`not_connected` when there is none)."""
        return Response(channel_view(channel_for_keeper(user=request.user, team_id=team_id)))

    @extend_schema(request=ConnectSerializer, responses={200: ChatChannelSerializer, **LEAD_ONLY})
    def put(self, request, team_id: int):
        """Connect the channel, or connect it again: it starts over from now, and a greeting is
        posted first."""
        data = ConnectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(channel_view(chat_connect(user=request.user, team_id=team_id, **data.validated_data)))

    @extend_schema(responses={204: None, **LEAD_ONLY})
    def delete(self, request, team_id: int):
        """Disconnect the channel: its address is forgotten and nothing more is posted."""
        chat_disconnect(user=request.user, team_id=team_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnableTeamChat(APIView):
    @extend_schema(request=None, responses={200: ChatChannelSerializer, **LEAD_ONLY})
    def post(self, request, team_id: int):
        """Turn a failing channel back on, without giving its address again; it starts over
        from now."""
        return Response(channel_view(chat_enable(user=request.user, team_id=team_id)))
