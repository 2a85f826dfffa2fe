"""The web pages (coaches' dashboard, organisation admins): a thin door, with session sign-in.

Every page view is the same look as the JSON API's (insights.services.insights_look, which
records it), and every password is checked by accounts.sign_in (dashboard.forms), the admin's
included; a Firebase ID token is checked by the phone's own sign-in, with the same limits. Pages answer in HTML, refusals too: a person here is in a browser, not a client
reading JSON."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from accounts import firebase
from administration.selectors import administered_organisations
from common.errors import DomainError, NotAllowed
from dashboard.forms import NOT_FOR_YOU, FirebaseSignInForm, SignInForm
from insights.selectors import coached_organisations
from insights.services import insights_look


class SignIn(LoginView):
    template_name = "dashboard/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        return with_refusal_status(super().form_invalid(form))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "firebase_web": firebase.web_config()}


class FirebaseSignIn(SignIn):
    """The page's "Sign in with your organisation's account": a Firebase ID token (form field
    id_token, CSRF-protected like every form here) for a session, whatever identity provider the
    customer put behind Firebase. Refused, it shows the sign-in page again, saying why."""

    authentication_form = FirebaseSignInForm
    http_method_names = ["post", "options"]


def admin_sign_in(request):
    """The admin's own sign-in page, with its form set to dashboard.forms.AdminSignInForm."""
    return with_refusal_status(admin.site.login(request))


def with_refusal_status(response):
    """A sign-in page shown again says why in its status too: 429 (with Retry-After) when
    limited, 403 when the account may not use this door."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    if form is not None and form.retry_after:
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after)
    elif form is not None and form.forbidden:
        response.status_code = 403
    return response


def favicon(request):
    """Browsers ask for /favicon.ico on every page, the admin's too."""
    return redirect(static("dashboard/favicon.svg"))


def refused(request, message: str, status: int):
    return render(request, "dashboard/refused.html", {"message": message}, status=status)


@login_required(login_url="dashboard:sign-in")
def home(request):
    """A coach of one organisation goes straight to it, and so does its admin to its page; anyone
    else with something here gets the list: the organisations they coach, and those they
    administer."""
    organisations = coached_organisations(user=request.user)
    administered = list(administered_organisations(user=request.user))
    if not organisations and not administered:
        return refused(request, NOT_FOR_YOU, 403)
    if len(organisations) == 1 and not administered:
        return redirect("dashboard:organisation", organisation_id=organisations[0].pk)
    if len(administered) == 1 and not organisations:
        return redirect("dashboard:administration", organisation_id=administered[0].pk)
    return render(request, "dashboard/home.html", {"organisations": organisations, "administered": administered})


@login_required(login_url="dashboard:sign-in")
def organisation(request, organisation_id: int):
    try:
        table = insights_look(
            coach=request.user,
            organisation_id=organisation_id,
            format="dashboard",
            first=request.GET.get("from") or None,
            last=request.GET.get("to") or None,
        )
    except DomainError as error:
        return refused(request, error.message, 403 if isinstance(error, NotAllowed) else 400)
    # The page's script draws every figure from the table as served; the server never decodes it.
    context = {"organisation": table.organisation, "weeks": table.weeks, "table_json": _for_script(table.text)}
    return render(request, "dashboard/organisation.html", context)


def _for_script(json_text: str) -> str:
    """JSON text made safe inside a <script> element, as Django's json_script makes it (no <, >
    or & left to end the element), without encoding it again: for an organisation of 200 teams
    that is megabytes, and cost the page a third of a second more."""
    return mark_safe(json_text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026"))
