"""The baselines tools/bench/load.py and today.py measure the API against, served beside it by the
same server with the same middleware, for the endpoints a phone opens with (today, a team's feed,
the journal). Never part of the product.

`GET /bench/bare/<endpoint>` is a bare Django view doing the same work the obvious way: the
caller's bearer token checked, the same reads made through the endpoint's own selector (so the
very same queries), and the answer built by hand as a dict and sent with `JsonResponse`; no DRF
view, serializer, throttle or content negotiation. The API ÷ it, in requests a second, says what
the API's door costs (the goal: at least 0.7). tests/test_bench_baseline.py holds its answers to
the API's.

`GET /bench/sql/<endpoint>` is the floor: the SELECTs of `GET /api/v1/<endpoint>` for the same
caller, recorded the first time a process sees that endpoint and caller (the endpoint called
twice and the second call's SELECTs kept: a first read may write what later reads only find),
then replayed, answering how many rows came back. The API ÷ it says what everything beyond the SQL
costs: the ORM, the door and the answer.

Only the benchmark's server serves them: DJANGO_SETTINGS_MODULE=baseline_settings, the project's
settings with this URLconf, which puts these views in front of the project's own.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path, resolve
from rest_framework.exceptions import AuthenticationFailed

from accounts.presenters import public_person
from acknowledgements.presenters import acknowledgement_view
from api.authentication import BearerTokenAuthentication
from api.pagination import cursor_seal
from exercises.selectors import text_in, today_for_user
from feed.selectors import feed_for_team
from reflections.selectors import reflection_body, reflections_for_author

PAGE = 20


class _Encoder(DjangoJSONEncoder):
    """Times in full, as the API writes them (Django's own encoder cuts them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return super().default(o)


def _answer(data: dict) -> JsonResponse:
    return JsonResponse(data, encoder=_Encoder)


def _person(user) -> dict | None:
    return None if user is None else public_person(user)


def _next_link(request, position: str, *, kind: str) -> str:
    """A signed cursor to the next page, as the API's links carry one."""
    return request.build_absolute_uri(f"{request.path}?{urlencode({'cursor': cursor_seal(position, kind=kind)})}")


def _signed_in(view):
    """The same bearer-token check as the API's (one query for the person), without DRF's view."""

    def checked(request, *args, **kwargs):
        try:
            found = BearerTokenAuthentication().authenticate(request)
        except AuthenticationFailed as refusal:
            return JsonResponse({"detail": str(refusal.detail)}, status=401)
        if found is None:
            return JsonResponse({"detail": "Sign in."}, status=401)
        request.user = found[0]
        return view(request, *args, **kwargs)

    return checked


def _exercise(exercise, locale: str) -> dict | None:
    if exercise is None:
        return None
    theme = exercise.theme
    return {
        "slug": exercise.slug,
        "title": text_in(item=exercise, field="title", locale=locale),
        "theme": {"slug": theme.slug, "name": text_in(item=theme, field="name", locale=locale)},
        "mode": exercise.mode,
        "audience": exercise.audience,
        "needs": list(exercise.needs),
        "follow_up_minutes": exercise.follow_up_minutes,
        "duration_minutes": exercise.duration_minutes,
        "summary": text_in(item=exercise, field="summary", locale=locale),
        "reflection_prompts": text_in(item=exercise, field="reflection_prompts", locale=locale),
        "steps": [
            {
                "position": step.position,
                "kind": step.kind,
                "text": text_in(item=step, field="text", locale=locale),
                "seconds": step.seconds,
            }
            for step in exercise.steps_in_order
        ],
    }


@_signed_in
def today(request):
    screen = today_for_user(user=request.user)
    return _answer(
        {
            "date": screen.date,
            "exercise": _exercise(screen.exercise, request.user.locale),
            "completed_today": screen.completed_today,
            "streak": {"weeks": screen.streak.weeks, "this_week_done": screen.streak.this_week_done},
            "unread_acknowledgements": screen.unread_acknowledgements,
            "partner": _person(screen.partner),
        }
    )


def _orphan(orphan) -> dict:
    return {
        "id": orphan.pk,
        "team_id": orphan.team_id,
        "title": orphan.title,
        "detail": orphan.detail,
        "status": orphan.status,
        "posted_by": _person(orphan.posted_by),
        "claimed_by": _person(orphan.claimed_by),
        "claimed_at": orphan.claimed_at,
        "check_back": orphan.check_back_on,
        "done_at": orphan.done_at,
        "done_note": orphan.done_note,
        "created_at": orphan.created_at,
        "last_activity_at": orphan.last_activity_at,
    }


def _feed_item(item, viewer) -> dict:
    if item.acknowledgement is not None:
        return {"type": item.type, **acknowledgement_view(acknowledgement=item.acknowledgement, viewer=viewer)}
    if item.activity is not None:
        activity = item.activity
        return {
            "type": item.type,
            "id": activity.pk,
            "at": activity.created_at,
            "actor": _person(activity.actor),
            "orphan": _orphan(activity.orphan),
        }
    if item.version is not None:
        version = item.version
        return {
            "type": item.type,
            "id": version.pk,
            "at": version.adopted_at,
            "actor": _person(version.adopted_by),
            "agreement_id": version.agreement_id,
            "kind": version.agreement.kind,
            "version": {
                "number": version.number,
                "text": version.text,
                "status": version.status,
                "proposed_by": _person(version.proposed_by),
                "proposed_at": version.proposed_at,
                "adopted_by": _person(version.adopted_by),
                "adopted_at": version.adopted_at,
                "session_id": version.session_id,
            },
        }
    commitment = item.commitment
    return {
        "type": item.type,
        "id": commitment.pk,
        "at": commitment.done_at,
        "actor": _person(commitment.volunteer),
        "commitment": {
            "id": commitment.pk,
            "team_id": commitment.team_id,
            "text": commitment.text,
            "volunteer": _person(commitment.volunteer),
            "check_back": commitment.check_back_on,
            "status": commitment.status,
            "session_id": commitment.session_id,
            "created_at": commitment.created_at,
            "done_at": commitment.done_at,
            "dropped_at": commitment.dropped_at,
        },
    }


@_signed_in
def feed(request, team_id: int):
    page = feed_for_team(user=request.user, team_id=team_id, limit=PAGE)
    position = page.next
    return _answer(
        {
            "next": position
            and _next_link(request, f"{position.at.isoformat()}|{position.source}|{position.id}", kind="feed"),
            "previous": None,
            "results": [_feed_item(item, request.user) for item in page.items],
        }
    )


def _reflection(reflection) -> dict:
    return {
        "id": reflection.pk,
        "client_id": reflection.client_id,
        "body": reflection_body(reflection=reflection),
        "document": {
            "ciphertext": reflection.document,
            "key_id": reflection.key_id,
            "format": reflection.document_format,
        }
        if reflection.end_to_end
        else None,
        "mood": reflection.mood,
        "energy": reflection.energy,
        "themes": sorted(theme.slug for theme in reflection.themes.all()),
        "run": reflection.run_id,
        "session": reflection.session_id,
        "prompt_step": reflection.prompt_step_id,
        "prompt_nudge": reflection.prompt_nudge_id,
        "occurred_at": reflection.occurred_at,
        "created_at": reflection.created_at,
        "updated_at": reflection.updated_at,
    }


@_signed_in
def reflections(request):
    # The API's first page, as its cursor pagination reads it: one row beyond the page says
    # whether there is a next.
    rows = list(reflections_for_author(author=request.user).order_by("-occurred_at", "-id")[: PAGE + 1])
    page = rows[:PAGE]
    return _answer(
        {
            "next": _next_link(request, urlencode({"p": str(page[-1].occurred_at)}), kind="NewestWrittenFirst")
            if len(rows) > PAGE
            else None,
            "previous": None,
            "results": [_reflection(reflection) for reflection in page],
        }
    )


_recorded: dict[tuple[str, str], list[tuple[str, object]]] = {}


def sql(request, endpoint: str):
    key = (endpoint, request.headers.get("Authorization", ""))
    if key not in _recorded:
        _recorded[key] = _selects_of(request, f"/api/v1/{endpoint}")
    rows = 0
    with connection.cursor() as cursor:
        for statement, params in _recorded[key]:
            cursor.execute(statement, params)
            rows += len(cursor.fetchall())
    return JsonResponse({"rows": rows})


def _selects_of(request, api_path: str) -> list[tuple[str, object]]:
    match = resolve(api_path)
    selects = []

    def keep(execute, statement, params, many, context):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append((statement, params))
        return execute(statement, params, many, context)

    match.func(request, *match.args, **match.kwargs)
    with connection.execute_wrapper(keep):
        match.func(request, *match.args, **match.kwargs)
    return selects


urlpatterns = [
    path("bench/bare/today", today),
    path("bench/bare/teams/<int:team_id>/feed", feed),
    path("bench/bare/reflections", reflections),
    path("bench/sql/<path:endpoint>", sql),
    path("", include("config.urls")),
]
