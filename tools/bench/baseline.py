"""The bare baseline tools/bench/load.py measures the API against: for an endpoint, a plain
Django view that runs the very SELECTs that endpoint runs for the same person, and nothing else
(no DRF, no serializers, no business rules), on the same server and the same middleware.

`GET /bench/bare/<endpoint>` (e.g. `/bench/bare/today`, with the caller's `Authorization`
header) records, the first time a process sees an endpoint and a caller, the SELECTs of
`GET /api/v1/<endpoint>` for that caller: the endpoint is called twice and the second call's
SELECTs kept (a first read may write what later reads only find). From then on it replays them
and answers how many rows came back. The product endpoint ÷ this view, in requests a second,
says what the API costs beyond its queries, whatever the machine.

Only the benchmark's server serves it: DJANGO_SETTINGS_MODULE=baseline_settings, the project's
settings with this URLconf, which adds the bare views in front of the project's own.
"""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path, resolve

_recorded: dict[tuple[str, str], list[tuple[str, object]]] = {}


def bare(request, endpoint: str):
    key = (endpoint, request.headers.get("Authorization", ""))
    if key not in _recorded:
        _recorded[key] = _selects_of(request, f"/api/v1/{endpoint}")
    rows = 0
    with connection.cursor() as cursor:
        for sql, params in _recorded[key]:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return JsonResponse({"rows": rows})


def _selects_of(request, api_path: str) -> list[tuple[str, object]]:
    match = resolve(api_path)
    selects = []

    def keep(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            selects.append((sql, params))
        return execute(sql, params, many, context)

    match.func(request, *match.args, **match.kwargs)
    with connection.execute_wrapper(keep):
        match.func(request, *match.args, **match.kwargs)
    return selects


urlpatterns = [path("bench/bare/<path:endpoint>", bare), path("", include("config.urls"))]
