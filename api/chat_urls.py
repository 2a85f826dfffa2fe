"""The chat channel's routes, under /api/v1/ (included from api.urls)."""

from django.urls import path

from api import chat

urlpatterns = [
    path("teams/<id:team_id>/chat", chat.TeamChat.as_view(), name="team-chat"),
    path("teams/<id:team_id>/chat/enable", chat.EnableTeamChat.as_view(), name="team-chat-enable"),
]
