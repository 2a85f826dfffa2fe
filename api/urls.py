"""The API's routes, under /api/v1/. Declared without a trailing slash; api.middleware makes
one optional."""

from django.urls import path

from api import (
    acknowledgements,
    auth,
    exercises,
    feed,
    group_sessions,
    insights,
    me,
    nudges,
    orphans,
    reflections,
    teams,
    tickets,
)



urlpatterns = [
    path("auth/token", auth.SignIn.as_view(), name="auth-token"),
    path("auth/token/refresh", auth.Refresh.as_view(), name="auth-refresh"),
    path("auth/logout", auth.LogOut.as_view(), name="auth-logout"),
    path("auth/logout/everywhere", auth.LogOutEverywhere.as_view(), name="auth-logout-everywhere"),
    path("auth/firebase", auth.FirebaseSignIn.as_view(), name="auth-firebase"),
    path("me", me.Me.as_view(), name="me"),
    path("me/export", me.Export.as_view(), name="me-export"),
    path("me/password", me.Password.as_view(), name="me-password"),
    path("teams", teams.MyTeams.as_view(), name="teams"),
    path("teams/join", teams.JoinTeam.as_view(), name="team-join"),
    path("teams/<id:team_id>", teams.TeamDetail.as_view(), name="team"),
    path("teams/<id:team_id>/feed", feed.TeamFeed.as_view(), name="team-feed"),
    path("teams/<id:team_id>/orphans", orphans.TeamOrphans.as_view(), name="team-orphans"),
    path("teams/<id:team_id>/orphans/stats", orphans.TeamOrphanStats.as_view(), name="team-orphan-stats"),
    path("orphans/<id:orphan_id>", orphans.OrphanDetail.as_view(), name="orphan"),
    path("orphans/<id:orphan_id>/claim", orphans.Claim.as_view(), name="orphan-claim"),
    path("orphans/<id:orphan_id>/release", orphans.Release.as_view(), name="orphan-release"),
    path("orphans/<id:orphan_id>/done", orphans.Done.as_view(), name="orphan-done"),
    path("orphans/<id:orphan_id>/reopen", orphans.Reopen.as_view(), name="orphan-reopen"),
    path("teams/<id:team_id>/sessions", group_sessions.TeamSessions.as_view(), name="team-sessions"),
    path("sessions/<id:session_id>", group_sessions.SessionDetail.as_view(), name="session"),
    path("realtime/ticket", tickets.Ticket.as_view(), name="realtime-ticket"),
    path("coach/organisations", insights.CoachedOrganisations.as_view(), name="coached-organisations"),
    path("coach/organisations/<id:organisation_id>/insights", insights.Insights.as_view(), name="insights"),
    path("coach/organisations/<id:organisation_id>/insights.csv", insights.InsightsCsv.as_view(), name="insights-csv"),
    path("devices", nudges.Devices.as_view(), name="devices"),
    path("devices/<str:token>", nudges.DeviceDetail.as_view(), name="device"),
    path("nudges", nudges.Inbox.as_view(), name="nudges"),
    path("nudges/preferences", nudges.PreferencesView.as_view(), name="nudge-preferences"),
    path("nudges/<id:nudge_id>/opened", nudges.Opened.as_view(), name="nudge-opened"),
    path("themes", exercises.Themes.as_view(), name="themes"),
    path("exercises", exercises.Exercises.as_view(), name="exercises"),
    path("exercises/<slug:slug>", exercises.ExerciseDetail.as_view(), name="exercise"),
    path("today", exercises.TodayView.as_view(), name="today"),
    path("runs", exercises.Runs.as_view(), name="runs"),
    path("runs/<id:run_id>/complete", exercises.CompleteRun.as_view(), name="run-complete"),
    path("reflections", reflections.Reflections.as_view(), name="reflections"),
    path("reflections/<id:reflection_id>", reflections.ReflectionDetail.as_view(), name="reflection"),
    path("acknowledgements", acknowledgements.Acknowledgements.as_view(), name="acknowledgements"),
    path("acknowledgements/received", acknowledgements.Received.as_view(), name="acknowledgements-received"),
    path("acknowledgements/sent", acknowledgements.Sent.as_view(), name="acknowledgements-sent"),
    path("acknowledgements/<id:acknowledgement_id>/read", acknowledgements.MarkRead.as_view(), name="acknowledgement-read"),
    path(
        "acknowledgements/<id:acknowledgement_id>/reactions/<str:kind>",
        acknowledgements.Reactions.as_view(),
        name="acknowledgement-reaction",
    ),
    path("acknowledgements/<id:acknowledgement_id>/hide", acknowledgements.Hide.as_view(), name="acknowledgement-hide"),
    path(
        "acknowledgements/<id:acknowledgement_id>/report", acknowledgements.ReportView.as_view(), name="acknowledgement-report"
    ),
]
