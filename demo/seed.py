"""Demo data for the embedded default: one organisation, three teams, a coach and about eight
weeks of believable history, made with the project's own factories.

Deterministic (a fixed random seed) and idempotent: if the demo lead exists, nothing is done.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.factories import OrganisationDomainFactory, OrganisationFactory, UserFactory
from accounts.models import User
from acknowledgements.factories import AcknowledgementFactory, ReactionFactory
from acknowledgements.models import Acknowledgement, Reaction
from administration.factories import OrganisationAdminFactory
from agreements.factories import AgreementFactory, CommentFactory, VersionFactory
from agreements.models import REVIEW_AFTER_DAYS, Agreement, Version
from chat.models import Channel
from chat.services import chat_connect
from commitments.models import Commitment
from exercises.factories import RunFactory
from exercises.models import Exercise, Step
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import Share
from group_sessions.services import session_start
from orphans.factories import ActivityFactory, OrphanFactory
from orphans.models import Activity
from pairs.factories import PairFactory
from pairs.models import Pair, PairAnswer
from reflections.factories import ReflectionFactory
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership, Team

DEMO_PASSWORD = "humble-demo"
DEMO_DOMAIN = "demo.test"
WEEKS_OF_HISTORY = 8
# team name -> member numbers; East is deliberately small (below the anonymity threshold).
TEAMS = {"North": range(1, 8), "South": range(8, 14), "East": range(14, 18)}
NAMES = [
    "Sam",
    "Alex",
    "Priya",
    "Jonas",
    "Mei",
    "Tomás",
    "Aisha",
    "Lars",
    "Nadia",
    "Kwame",
    "Elena",
    "Ravi",
    "Chloé",
    "Omar",
    "Yuki",
    "Fatima",
    "Ben",
]
REFLECTION_LINES = [
    "I asked before offering my fix, and it turned out there was context I had no idea about.",
    "Noticed how tired Jo looked; a short chat over coffee mattered more than the stand-up.",
    "Said 'leave it with me' about the flaky deploy script. Slightly nervous, mostly glad.",
    "Admitted I got the estimate wrong. Nobody made a fuss, which made it easier next time.",
    "We agreed what we contribute to the support team. Felt less like waiting for orders.",
    "Let the newest person speak first in the retro. They had the sharpest observation.",
]
ACKNOWLEDGEMENT_LINES = {
    Acknowledgement.Behaviour.JUMPED_IN: "You picked up the release notes nobody owned. Thank you.",
    Acknowledgement.Behaviour.SPOKE_UP: "You said what everyone was thinking in the planning meeting.",
    Acknowledgement.Behaviour.TOOK_INITIATIVE: "Starting the onboarding checklist without being asked was great.",
    Acknowledgement.Behaviour.HELPED: "Thanks for pairing with me on the migration yesterday.",
    Acknowledgement.Behaviour.SAW_ME: "You asked how my dad was doing. It meant a lot.",
    Acknowledgement.Behaviour.SHARED_KNOWLEDGE: "Your write-up on the billing quirks saved me an afternoon.",
}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


def demo_logins() -> list[DemoLogin]:
    members = [DemoLogin(f"member{n}@{DEMO_DOMAIN}", f"member of {team}") for team, ns in TEAMS.items() for n in ns]
    return [
        DemoLogin(f"lead@{DEMO_DOMAIN}", "lead of North"),
        DemoLogin(f"coach@{DEMO_DOMAIN}", "coach of the organisation"),
        DemoLogin(f"admin@{DEMO_DOMAIN}", "the organisation's admin"),
        *members,
    ]


@transaction.atomic
def demo_seed(*, now=None) -> bool:
    """Create the demo world; False if it was there already."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Demo data (with its shared password) is refused when DJANGO_ENV=production.")
    if User.objects.filter(email=f"lead@{DEMO_DOMAIN}").exists():
        return False
    now = now or timezone.now()
    rng = random.Random(2026)
    organisation = OrganisationFactory(name="Demo Company", allow_domain_signup=True)
    OrganisationDomainFactory(organisation=organisation, domain=DEMO_DOMAIN)

    def person(email: str, name: str, **fields) -> User:
        fields = {"organisation": organisation, "time_zone": "Europe/London", **fields}
        return UserFactory(email=email, display_name=name, password=DEMO_PASSWORD, **fields)

    lead = person(f"lead@{DEMO_DOMAIN}", "Morgan (lead)")
    teams = {}
    for team_name, numbers in TEAMS.items():
        team = TeamFactory(organisation=organisation, name=team_name)
        teams[team_name] = [person(f"member{n}@{DEMO_DOMAIN}", NAMES[n - 1]) for n in numbers]
        for member in teams[team_name]:
            MembershipFactory(team=team, user=member)
        if team_name == "North":
            MembershipFactory(team=team, user=lead, role=Membership.Role.LEAD)
            teams[team_name].append(lead)
    CoachAssignmentFactory(
        coach=person(f"coach@{DEMO_DOMAIN}", "Casey (coach)", organisation=None), organisation=organisation
    )
    # The organisation's own admin (the people lead): manages teams, memberships and coaches.
    OrganisationAdminFactory(user=person(f"admin@{DEMO_DOMAIN}", "Avery (people lead)"), organisation=organisation)

    exercises = list(Exercise.objects.filter(is_active=True, mode__in=[Exercise.Mode.SOLO, Exercise.Mode.PAIR]))
    for team_name, team_members in teams.items():
        team = Team.objects.get(name=team_name, organisation=organisation)
        _history(rng=rng, team=team, members=team_members, exercises=exercises, now=now)
        _orphans(rng=rng, team=team, people=team_members, now=now)
        _pairs(rng=rng, people=team_members, now=now)
    north = Team.objects.get(name="North", organisation=organisation)
    _contribution(team=north, lead=lead, members=teams["North"], commenter=teams["South"][0], now=now)
    _commitments(team=north, members=teams["North"], now=now)
    _weekly_session(team=north, lead=lead, now=now)
    # North's chat channel logs its posts (the console), from now on: the history is not posted.
    chat_connect(user=lead, team_id=north.pk, kind=Channel.Kind.CONSOLE)
    return True


COMMITMENTS = [
    ("I'll write down how to restart the billing job", "done", -9),
    ("I'll ask Support which sign-in errors they hear about most", "done", -3),
    ("I'll pair with the newest person on the release checklist", "open", 4),
    ("I'll try a no-laptop stand-up for two weeks and tell you how it went", "open", 10),
]


def _commitments(*, team, members: list[User], now) -> None:
    """Commitments kept and open, each its own volunteer's, some with a date to check back."""
    for (text, status, check_back_in_days), volunteer in zip(COMMITMENTS, members, strict=False):
        made_at = now - timedelta(days=14 - check_back_in_days if status == "done" else 2)
        Commitment.objects.create(
            team=team,
            volunteer=volunteer,
            text=text,
            status=status,
            check_back_on=(now + timedelta(days=check_back_in_days)).date(),
            created_at=made_at,
            done_at=now + timedelta(days=check_back_in_days) if status == "done" else None,
        )


def _contribution(*, team, lead: User, members: list[User], commenter: User, now) -> None:
    """North's contribution agreement: a first wording, a better one adopted a month later, and
    a word from South, the team it serves."""
    first_at, second_at = now - timedelta(days=45), now - timedelta(days=14)
    agreement = AgreementFactory(
        team=team,
        kind=Agreement.Kind.CONTRIBUTION,
        created_by=members[0],
        created_at=first_at,
        review_on=(second_at + timedelta(days=REVIEW_AFTER_DAYS)).date(),
    )
    VersionFactory(
        agreement=agreement,
        number=1,
        text="We run the customer portal.",
        status=Version.Status.PAST,
        proposed_by=members[0],
        proposed_at=first_at,
        adopted_by=lead,
        adopted_at=first_at + timedelta(days=1),
    )
    VersionFactory(
        agreement=agreement,
        number=2,
        text="We make sure every customer can sign in, pay and get help without calling us; "
        "if we vanished tomorrow, Support and Billing would notice first.",
        status=Version.Status.CURRENT,
        proposed_by=members[1],
        proposed_at=second_at - timedelta(days=2),
        adopted_by=lead,
        adopted_at=second_at,
    )
    CommentFactory(
        agreement=agreement,
        author=commenter,
        text="Yes: when sign-in breaks, our phones ring. Thank you for putting it first.",
        created_at=second_at + timedelta(days=2),
    )


ORPHAN_TITLES = [
    "The release checklist is out of date",
    "Nobody answers the shared support inbox on Fridays",
    "The flaky login test keeps failing the build",
    "Meeting notes never get written up",
    "The onboarding guide still points at the old VPN",
    "Alerts from the billing job go to a dead mailing list",
]


def _orphans(*, rng: random.Random, team, people: list[User], now) -> None:
    """A few orphans in every state: open, claimed, done (and one claim gone quiet)."""
    for index, title in enumerate(rng.sample(ORPHAN_TITLES, 4)):
        poster, claimant = rng.sample(people, 2)
        posted_at = now - timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 8))
        state = ["open", "claimed", "done", "quiet"][index]
        claimed_at = posted_at + timedelta(hours=rng.randint(1, 48)) if state != "open" else None
        if state == "quiet":
            claimed_at = now - timedelta(days=20)
            posted_at = claimed_at - timedelta(days=2)
        done_at = claimed_at + timedelta(days=rng.randint(1, 3)) if state == "done" else None
        orphan = OrphanFactory(
            team=team,
            posted_by=poster,
            title=title,
            created_at=posted_at,
            status={"open": "open", "claimed": "claimed", "done": "done", "quiet": "claimed"}[state],
            claimed_by=claimant if claimed_at else None,
            claimed_at=claimed_at,
            first_claimed_at=claimed_at,
            first_claimed_by=claimant if claimed_at else None,
            done_at=done_at,
            done_note="Sorted, and wrote down how." if done_at else "",
            last_activity_at=done_at or claimed_at or posted_at,
        )
        ActivityFactory(orphan=orphan, kind=Activity.Kind.POSTED, actor=poster, created_at=posted_at)
        if claimed_at:
            ActivityFactory(orphan=orphan, kind=Activity.Kind.CLAIMED, actor=claimant, created_at=claimed_at)
        if done_at:
            ActivityFactory(orphan=orphan, kind=Activity.Kind.DONE, actor=claimant, created_at=done_at)


def _history(*, rng: random.Random, team, members: list[User], exercises: list, now) -> None:
    """Weeks of practice: each week the team leans towards two themes and two kinds of
    acknowledgement, as real teams do, so coaches see figures and not only suppressed cells."""
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=8, minute=0, second=0, microsecond=0)
    keenness = {member.pk: rng.uniform(0.5, 1.0) for member in members}
    themes = sorted({exercise.theme_id for exercise in exercises})
    group_exercises = list(Exercise.objects.filter(is_active=True, mode=Exercise.Mode.GROUP))
    for week in range(WEEKS_OF_HISTORY, 0, -1):
        monday = this_monday - timedelta(weeks=week)
        focus = rng.sample(themes, 2)
        popular = rng.sample(list(ACKNOWLEDGEMENT_LINES), 2)
        for member in members:
            if rng.random() > keenness[member.pk] + 0.25:
                continue  # a week off: holidays, deadlines, life
            for _ in range(round(rng.randint(2, 5) * keenness[member.pk])):
                pool = [e for e in exercises if e.theme_id in focus] if rng.random() < 0.8 else exercises
                started = monday + timedelta(
                    days=rng.randint(0, 4), hours=rng.randint(0, 9), minutes=rng.randint(0, 59)
                )
                run = RunFactory(
                    user=member,
                    exercise=rng.choice(pool),
                    started_at=started,
                    completed_at=started + timedelta(minutes=rng.randint(3, 12)) if rng.random() < 0.9 else None,
                )
                if run.completed_at and rng.random() < 0.7:
                    ReflectionFactory(
                        author=member,
                        run=run,
                        body=rng.choice(REFLECTION_LINES),
                        mood=rng.choice([2, 3, 3, 4, 4, 4, 5]),
                        energy=rng.randint(1, 5),
                        created_at=run.completed_at,
                        updated_at=run.completed_at,
                    )
            for _ in range(rng.randint(1, 3) if rng.random() < keenness[member.pk] else 0):
                recipient = rng.choice([mate for mate in members if mate != member])
                behaviour = rng.choice(popular) if rng.random() < 0.75 else rng.choice(list(ACKNOWLEDGEMENT_LINES))
                acknowledgement = AcknowledgementFactory(
                    sender=member,
                    recipient=recipient,
                    behaviour=behaviour,
                    message=ACKNOWLEDGEMENT_LINES[behaviour],
                    visibility=rng.choice(list(Acknowledgement.Visibility.values)),
                    created_at=monday + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 9)),
                    read_at=monday + timedelta(days=5) if rng.random() < 0.8 else None,
                )
                if rng.random() < 0.5:
                    ReactionFactory(
                        acknowledgement=acknowledgement, user=recipient, kind=rng.choice(Reaction.Kind.values)
                    )
        if group_exercises and len(members) >= 5:
            lead = next((m for m in members if m.email.startswith("lead@")), members[0])
            session = GroupSessionFactory(
                team=team,
                exercise=rng.choice(group_exercises),
                started_by=lead,
                facilitator=lead,
                phase="ended",
                created_at=monday + timedelta(days=2, hours=2),
                ended_at=monday + timedelta(days=2, hours=3),
            )
            attendees = rng.sample(members, rng.randint(5, len(members)))
            for person in attendees:
                ConnectionFactory(
                    session=session, user=person, opened_at=session.created_at, closed_at=session.ended_at
                )
            _check_ins(session=session, people=attendees, weeks_ago=week)


def _check_ins(*, session, people: list[User], weeks_ago: int) -> None:
    """Everyone present answers the session's check-ins, a little higher as the weeks of practice
    go by, so team health has a trend to show. Its own generator: the rest of the history stays
    as it was."""
    rng = random.Random(f"{session.team.name}-{weeks_ago}")
    for step in session.exercise.steps.filter(kind=Step.Kind.CHECKIN):
        for person in people:
            score = round(rng.gauss(3.8 - weeks_ago * 0.12, 0.8))
            Share.objects.create(
                session=session,
                step=step.position,
                author=person,
                value=min(5, max(1, score)),
                created_at=session.created_at,
            )


def _pairs(*, rng: random.Random, people: list[User], now) -> None:
    """Pairs of teammates who practised together over the past weeks, and one invitation still
    open, so the pairs list, today's partner rotation and coaches' pair figures have something."""
    exercise = Exercise.objects.filter(is_active=True, mode=Exercise.Mode.PAIR).first()
    if exercise is None or len(people) < 2:
        return
    share_steps = list(exercise.steps.filter(kind=Step.Kind.SHARE).values_list("position", flat=True))
    for weeks_ago in (1, 3, 5):
        inviter, partner = rng.sample(people, 2)
        at = now - timedelta(weeks=weeks_ago, hours=rng.randint(0, 48))
        pair = PairFactory(
            inviter=inviter,
            partner=partner,
            exercise=exercise,
            status=Pair.Status.COMPLETED,
            created_at=at,
            expires_at=at + timedelta(hours=72),
            responded_at=at + timedelta(hours=2),
            completed_at=at + timedelta(hours=26),
            step=len(share_steps) + 2,
        )
        PairAnswer.objects.bulk_create(
            PairAnswer(pair=pair, step=step, author=person, text="What I noticed.", created_at=at)
            for step in share_steps
            for person in (inviter, partner)
        )
    inviter, partner = rng.sample(people, 2)
    PairFactory(inviter=inviter, partner=partner, exercise=exercise, note="Ten minutes after stand-up?")


def _weekly_session(*, team, lead: User, now) -> None:
    """North meets every Wednesday at 10:00 (UTC) for a group exercise, scheduled by its lead:
    in its calendar feed and its upcoming sessions."""
    exercise = Exercise.objects.filter(is_active=True, mode=Exercise.Mode.GROUP).order_by("slug").first()
    if exercise is None:
        return
    wednesday = (now + timedelta(days=(2 - now.weekday()) % 7)).replace(hour=10, minute=0, second=0, microsecond=0)
    session_start(
        lead=lead,
        team_id=team.pk,
        exercise_slug=exercise.slug,
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, "humble-demo:north-weekly"),
        starts_at=wednesday if wednesday > now else wednesday + timedelta(weeks=1),
        repeat="weekly",
    )
