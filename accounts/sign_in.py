"""Signing in: the one place a password is checked, and the limits every door shares.

The API, the coaches' dashboard and the Django admin all check passwords here (as do the
confirmations a signed-in person gives: a password change, an erasure), so one account has one
set of limits whichever door is knocked on. The guarantees:
- every attempt from one client address counts towards SIGN_IN_RATE_PER_ADDRESS (password,
  Firebase and refresh alike), which stops one address spraying many accounts;
- only wrong passwords count against an account, and per (account, client address), so a
  stranger's guesses never lock the owner out from their own network (SIGN_IN_RATE_PER_ACCOUNT);
- past SIGN_IN_RATE_PER_ACCOUNT_EVERYWHERE wrong passwords from all addresses together (a
  distributed attack), the account is slowed down, never locked: it takes one attempt per turn,
  and each further wrong password makes the next turn come later, up to SLOWEST_TURN_SECONDS;
- a successful sign-in never counts, and cancels an erasure the person asked for (privacy).
Counters live in Django's cache (Redis when REDIS_URL is set, shared by every process). While
the cache is down the limits are not enforced and sign-in goes on (config.cache).
"""

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from redis.exceptions import RedisError

from accounts.models import User
from common.errors import Invalid, LimitReached, NotAllowed, Unauthenticated

SLOWEST_TURN_SECONDS = 300
PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def _rate(name: str) -> Rate:
    """A rate from settings.SIGN_IN_RATES, written like DRF's: "30/min", "10/hour", "100/day"."""
    count, _, period = settings.SIGN_IN_RATES[name].partition("/")
    return Rate(count=int(count), seconds=PERIODS[period.strip()[0]])


def sign_in_attempt(*, address: str) -> None:
    """Counts one attempt from this address, of any kind; past the rate, LimitReached."""
    limit = _rate("address")
    key, left = _window(f"address:{_digest(address)}", limit)
    if _count(key, seconds=left) > limit.count:
        raise _limited(left)


@sensitive_variables("password")
def password_sign_in(*, email: str, password: str, address: str) -> User:
    """The account with this email and password, or Unauthenticated (or LimitReached).

    Email is matched without regard to case or surrounding spaces; an unknown email, a wrong
    password and a disabled account are the same answer, and cost the same time."""
    sign_in_attempt(address=address)
    email = email.strip()
    user = _password_checked(
        email=email, address=address, check=lambda: authenticate(username=email, password=password)
    )
    if user is None:
        raise Unauthenticated("That email and password do not match an account.", code="wrong_credentials")
    return signed_in(user=user)


@sensitive_variables("password")
def password_confirm(*, user: User, password: str, address: str, field: str = "password") -> None:
    """A signed-in person proving it is them before something that cannot be undone lightly:
    the same check and the same limits as signing in, so a stolen access token is no oracle."""
    sign_in_attempt(address=address)
    confirmed = _password_checked(
        email=user.email,
        address=address,
        check=lambda: user if user.has_usable_password() and user.check_password(password) else None,
    )
    if confirmed is None:
        raise Invalid("That is not your password.", code="wrong_password", field=field)


def signed_in(*, user: User) -> User:
    """Someone has just proven who they are: an erasure they asked for is called off, unless
    its time has come (then it is final, and so is the account)."""
    if user.erasure_due_at is not None:
        if user.erasure_due_at <= timezone.now():
            raise NotAllowed("This account has been erased.", code="account_erased")
        User.objects.filter(pk=user.pk).update(erasure_due_at=None)
        user.erasure_due_at = None
    return user


def _password_checked(*, email: str, address: str, check: Callable[[], User | None]) -> User | None:
    """Runs one password check within the account's limits, and counts it if it fails."""
    account = _digest(email.strip().lower())
    mine = _rate("account")
    from_here, left_here = _window(f"failures:{account}:{_digest(address)}", mine)
    if _read(from_here) >= mine.count:
        raise _limited(left_here)
    ceiling = _rate("account_everywhere")
    everywhere, left_everywhere = _window(f"failures:{account}", ceiling)
    beyond = _read(everywhere) - ceiling.count
    if beyond >= 0:
        _take_turn(account=account, seconds=min(2**beyond, SLOWEST_TURN_SECONDS))
    user = check()
    if user is None:
        _count(from_here, seconds=left_here)
        _count(everywhere, seconds=left_everywhere)
    return user


def _take_turn(*, account: str, seconds: int) -> None:
    """One attempt at this account per turn, from anywhere; the next turn is `seconds` away."""
    key = f"sign-in:turn:{account}"
    now = time.time()
    if cache.add(key, now + seconds, timeout=seconds):
        return
    next_turn = cache.get(key)
    if next_turn is not None and next_turn > now:
        raise _limited(math.ceil(next_turn - now))
    cache.set(key, now + seconds, timeout=seconds)  # the last turn is over: this attempt takes the next


def _limited(seconds: int) -> LimitReached:
    return LimitReached("Too many sign-in attempts; try again later.", retry_after=max(1, seconds), code="throttled")


def _window(name: str, limit: Rate) -> tuple[str, int]:
    """The cache key of the current fixed window of this rate, and the seconds it has left."""
    now = time.time()
    return f"sign-in:{name}:{int(now // limit.seconds)}", max(1, math.ceil(limit.seconds - now % limit.seconds))


def _read(key: str) -> int:
    return cache.get(key) or 0


def _count(key: str, *, seconds: int) -> int:
    """Adds one to a counter at once (two processes never both read the old value)."""
    try:
        cache.add(key, 0, timeout=seconds)
        return cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, timeout=seconds)
        return 1
    except RedisError:  # config.cache forgives reads and writes, not incr: the same choice here
        return 0


def _digest(text: str) -> str:
    # Cache keys stay short, and no email or address sits in the cache in the clear.
    return hashlib.sha256(text.encode()).hexdigest()[:32]
