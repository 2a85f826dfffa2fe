"""The coaches' web dashboard: a thin door onto insights.selectors, with session sign-in.

Every page view goes through the same selector (and the same audit log) as the JSON API."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from common.errors import DomainError
from insights.selectors import coached_organisations, insights_for_coach
from insights.services import insight_view_record


class SignIn(LoginView):
    template_name = "dashboard/sign_in.html"
    redirect_authenticated_user = True


@login_required(login_url="dashboard:sign-in")
def home(request):
    organisations = coached_organisations(user=request.user)
    if not organisations:
        raise PermissionDenied
    if len(organisations) == 1:
        return redirect("dashboard:organisation", organisation_id=organisations[0].pk)
    return render(request, "dashboard/home.html", {"organisations": organisations})


@login_required(login_url="dashboard:sign-in")
def organisation(request, organisation_id: int):
    try:
        table = insights_for_coach(
            user=request.user,
            organisation_id=organisation_id,
            first=request.GET.get("from") or None,
            last=request.GET.get("to") or None,
        )
    except DomainError:
        raise PermissionDenied from None
    insight_view_record(
        coach=request.user,
        organisation_id=organisation_id,
        team_id=None,
        weeks=f"{table['weeks'][0]}..{table['weeks'][-1]}" if table["weeks"] else "",
        format="dashboard",
    )
    return render(request, "dashboard/organisation.html", {"table": table})
