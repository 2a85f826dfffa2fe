"""The organisation admins' page, beside the coaches' dashboard (same look, same sign-in): a thin
door onto the same functions as the API's /organisations routes. Each form posts an `action` to
the page; a change is made and the page shown again (a redirect), a refusal shows the page with
why, in the status too. Nothing of anyone's activity or words is on it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.views import View

from administration.selectors import (
    audit_entries,
    organisation_admins,
    organisation_coaches,
    organisation_for_admin,
    organisation_settings,
    organisation_teams,
)
from administration.services import (
    coach_assign,
    coach_unassign,
    organisation_admin_appoint,
    organisation_admin_remove,
    organisation_update,
    team_change,
    team_create,
)
from common.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from dashboard.views import refused
from teams.services import invitation_send, membership_remove, membership_role_change

AUDIT_SHOWN = 50


def _number(form, name: str) -> int | None:
    """A whole number from a form field (ASCII digits only: "٣" is not three); None if absent."""
    value = form.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise Invalid(f"{name} is not a whole number.", code="invalid", field=name)
    return int(value)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


# Each action: the form's fields turned into one call of the administration's services.
ACTIONS = {
    "settings": lambda by, organisation_id, form: organisation_update(
        by=by,
        organisation_id=organisation_id,
        name=form.get("name", "").strip() or None,
        allow_domain_signup=form.get("allow_domain_signup") == "on",
        k=_number(form, "k"),
        domains=_lines(form.get("domains", "")),
        themes_offered=form.getlist("themes_offered"),
    ),
    "team_create": lambda by, organisation_id, form: team_create(
        by=by, organisation_id=organisation_id, name=form.get("name", "")
    ),
    "team_rename": lambda by, organisation_id, form: team_change(
        by=by, organisation_id=organisation_id, team_id=_number(form, "team"), name=form.get("name", "")
    ),
    "team_archive": lambda by, organisation_id, form: team_change(
        by=by, organisation_id=organisation_id, team_id=_number(form, "team"), archived=True
    ),
    "team_restore": lambda by, organisation_id, form: team_change(
        by=by, organisation_id=organisation_id, team_id=_number(form, "team"), archived=False
    ),
    "invite": lambda by, organisation_id, form: invitation_send(
        by=by, team_id=_number(form, "team"), email=form.get("email", ""), role=form.get("role", "")
    ),
    "role_change": lambda by, organisation_id, form: membership_role_change(
        by=by, team_id=_number(form, "team"), user_id=_number(form, "person"), role=form.get("role", "")
    ),
    "member_remove": lambda by, organisation_id, form: membership_remove(
        by=by, team_id=_number(form, "team"), user_id=_number(form, "person")
    ),
    "coach_assign": lambda by, organisation_id, form: coach_assign(
        by=by, organisation_id=organisation_id, email=form.get("email", ""), team_id=_number(form, "team")
    ),
    "coach_unassign": lambda by, organisation_id, form: coach_unassign(
        by=by, organisation_id=organisation_id, assignment_id=_number(form, "assignment")
    ),
    "admin_appoint": lambda by, organisation_id, form: organisation_admin_appoint(
        by=by, organisation_id=organisation_id, email=form.get("email", "")
    ),
    "admin_remove": lambda by, organisation_id, form: organisation_admin_remove(
        by=by, organisation_id=organisation_id, user_id=_number(form, "admin")
    ),
}

STATUS = {Invalid: 400, NotAllowed: 403, NotFound: 404, Conflict: 409}


class Administration(LoginRequiredMixin, View):
    login_url = "dashboard:sign-in"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.organisation = organisation_for_admin(user=request.user, organisation_id=kwargs["organisation_id"])
            except DomainError as error:
                return refused(request, error.message, STATUS[type(error)])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, organisation_id: int):
        return _page(request, self.organisation)

    def post(self, request, organisation_id: int):
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return _page(request, self.organisation, error="Unknown action.", status=400)
        try:
            action(request.user, self.organisation.pk, request.POST)
        except DomainError as error:
            return _page(request, self.organisation, error=error.message, status=STATUS.get(type(error), 400))
        return redirect("dashboard:administration", organisation_id=self.organisation.pk)


def _page(request, organisation, *, error: str = "", status: int = 200):
    context = {
        "settings": organisation_settings(organisation=organisation),
        "teams": organisation_teams(organisation=organisation, with_people=True),
        "coaches": organisation_coaches(organisation=organisation),
        "admins": organisation_admins(organisation=organisation),
        "audit": audit_entries(organisation=organisation)[:AUDIT_SHOWN],
        "error": error,
    }
    return render(request, "dashboard/administration.html", context, status=status)
