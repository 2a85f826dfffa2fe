"""Coach insights over HTTP: the anonymised table as JSON, and the same table as CSV; and a
lead's view of their own team's health, cut from the same cells."""

import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField
from insights.anonymity import SUPPRESSION_REASONS
from insights.selectors import coach_scopes
from insights.services import insights_look


class WeeksQuerySerializer(serializers.Serializer):
    def get_fields(self):
        # `from` is a Python keyword, so the fields are declared here rather than as attributes.
        week = r"^\d{4}-W\d{2}$"
        return {
            "from": serializers.RegexField(week, required=False),
            "to": serializers.RegexField(week, required=False),
        }


class InsightsQuerySerializer(WeeksQuerySerializer):
    def get_fields(self):
        return {**super().get_fields(), "team": IdField(required=False)}


class CellSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    suppressed = serializers.ChoiceField(
        choices=SUPPRESSION_REASONS, allow_null=True, help_text="why the value is null"
    )


class HealthQuestionSerializer(serializers.Serializer):
    """One check-in question in one week: published whole when at least k people answered it."""

    answers = CellSerializer()
    people = CellSerializer()
    mean = CellSerializer(help_text="the mean score, 1-5")
    distribution = serializers.DictField(child=CellSerializer(), help_text="how many answers gave each score, 1 to 5")


class QuestionSerializer(serializers.Serializer):
    id = serializers.SlugField(help_text="the same wherever the same question is asked")
    name = serializers.CharField()


class PairsSerializer(serializers.Serializer):
    """Pair exercises done within the team: a pair counts when both are members at the rollup."""

    distinct_pairs = CellSerializer(help_text="how many different pairs of members practised together")
    share_of_team = CellSerializer(help_text="the share of the team in at least one pair, 0 to 1")


class AgreementsAdoptedSerializer(serializers.Serializer):
    adopted = CellSerializer(
        help_text="agreement versions the team adopted that week; behind each, who proposed and adopted it and, "
        "in a live session, everyone present"
    )


class CommitmentsKeptSerializer(serializers.Serializer):
    kept = CellSerializer(help_text="commitments marked done that week; behind each, its volunteer")


class InsightsWeekSerializer(serializers.Serializer):
    week = serializers.CharField()
    members = serializers.IntegerField(allow_null=True)
    active = CellSerializer()
    participation_rate = CellSerializer()
    completions_by_theme = serializers.DictField(child=CellSerializer())
    group_sessions = serializers.DictField(child=CellSerializer(), help_text="held, average_attendance")
    acknowledgements = serializers.DictField(
        child=serializers.DictField(child=CellSerializer()), help_text="within / across, then by behaviour"
    )
    orphans = serializers.DictField(child=CellSerializer(), help_text="posted, claimed, done, median_minutes_to_claim")
    mood = CellSerializer()
    mood_reporters = CellSerializer()
    pairs = PairsSerializer()
    agreements = AgreementsAdoptedSerializer()
    commitments = CommitmentsKeptSerializer()
    health = serializers.DictField(child=HealthQuestionSerializer(), help_text="team health, by question id")


class TeamTableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weeks = InsightsWeekSerializer(many=True)


class OrganisationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    k = serializers.IntegerField(help_text="the anonymity threshold")


class OrganisationTotalSerializer(serializers.Serializer):
    scope = serializers.CharField()
    weeks = InsightsWeekSerializer(many=True)


class InsightsSerializer(serializers.Serializer):
    organisation = OrganisationSummarySerializer()
    weeks = serializers.ListField(child=serializers.CharField())
    themes = serializers.ListField(child=serializers.CharField())
    behaviours = serializers.ListField(child=serializers.CharField())
    questions = QuestionSerializer(many=True, help_text="the check-in questions team health is rolled up by")
    teams = TeamTableSerializer(many=True)
    organisation_total = OrganisationTotalSerializer()


class CoachedTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CoachedOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="organisation.id")
    name = serializers.CharField(source="organisation.name")
    k = serializers.IntegerField(source="organisation.anonymity_threshold", help_text="the anonymity threshold")
    teams = CoachedTeamSerializer(many=True, help_text="the teams of my assignment")


class CoachedOrganisations(APIView):
    """The organisations I coach, each with the teams of my assignment: where insights start."""

    @extend_schema(responses=CoachedOrganisationSerializer(many=True))
    def get(self, request):
        return Response(CoachedOrganisationSerializer(coach_scopes(user=request.user), many=True).data)


def _query(request) -> dict:
    query = InsightsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    fields = query.validated_data
    return {"first": fields.get("from"), "last": fields.get("to"), "team_id": fields.get("team")}


WEEK_PARAMETERS = [
    OpenApiParameter("from", str, description="first ISO week, e.g. 2026-W30 (default: 12 weeks before `to`)"),
    OpenApiParameter("to", str, description="last ISO week (default: the last finished week)"),
]
PARAMETERS = [*WEEK_PARAMETERS, OpenApiParameter("team", int, description="one team of your assignment")]


def _look(request, organisation_id: int, format: str) -> dict:
    return insights_look(coach=request.user, organisation_id=organisation_id, format=format, **_query(request))


class Insights(APIView):
    """An organisation's anonymised figures per team and week, for its coaches."""

    @extend_schema(parameters=PARAMETERS, responses=InsightsSerializer)
    def get(self, request, organisation_id: int):
        # Served as the JSON text it was put together as: decoding and encoding it again would
        # cost more than everything else the request does.
        return HttpResponse(_look(request, organisation_id, "json").text, content_type="application/json")


def flatten(table: dict):
    """The insights table as rows: scope, week, measure, key, value, suppressed."""
    scopes = [(team["name"], team["weeks"]) for team in table["teams"]]
    scopes.append(("organisation (" + table["organisation_total"]["scope"] + ")", table["organisation_total"]["weeks"]))
    for scope, weeks in scopes:
        for week in weeks:
            yield scope, week["week"], "members", "", week["members"], ""
            for measure, value in week.items():
                if measure in ("week", "members"):
                    continue
                yield from _cells_of(scope, week["week"], measure, "", value)


def _cells_of(scope, week, measure, key, value):
    if "suppressed" in value:
        yield scope, week, measure, key, value["value"], value["suppressed"] or ""
        return
    for inner, cell in value.items():
        yield from _cells_of(scope, week, measure, f"{key}.{inner}" if key else inner, cell)


class InsightsCsv(APIView):
    """The same figures as CSV, one cell a row."""

    @extend_schema(
        parameters=PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="scope,week,measure,key,value,suppressed")
        },
    )
    def get(self, request, organisation_id: int):
        table = _look(request, organisation_id, "csv")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["scope", "week", "measure", "key", "value", "suppressed"])
        writer.writerows(flatten(table))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="insights-{organisation_id}.csv"'
        return response
