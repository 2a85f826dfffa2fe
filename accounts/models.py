"""People and the organisations they belong to."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Organisation(models.Model):
    name = models.CharField(max_length=120)
    # People signing in with Firebase for the first time get an account only if their verified
    # email's domain is one of the organisation's and the organisation allows it.
    allow_domain_signup = models.BooleanField(default=False)
    # Coaches never see a figure built from fewer people than this (issue: coach insights).
    anonymity_threshold = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(3), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(anonymity_threshold__gte=3), name="anonymity_threshold_at_least_3"
            )
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationDomain(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, help_text="Lower-case, e.g. example.com")

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class UserManager(BaseUserManager):
    def get_by_natural_key(self, email):
        # People type their email in any case; it is stored lower-case and unique regardless.
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in: an employee, a team lead, a coach or an org admin.

    Email is the login. A lead is a role in a team (teams.Membership); a coach is someone with a
    coach assignment (teams.CoachAssignment); neither is a field here.
    """

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    locale = models.CharField(max_length=16, default="en")
    firebase_uid = models.CharField(max_length=128, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person asks to be erased: until then signing in again calls it off, after it
    # the worker erases them for good (privacy.services).
    erasure_due_at = models.DateTimeField(null=True, blank=True)
    # Opted in to pair exercises with people of the teams their team works with (teams.Team.works_with).
    pairs_across_teams = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_signed_out_for_erasure(self) -> bool:
        """Asking to be erased signs a person out of every door (API, WebSocket, web pages)
        until they sign in again, which calls the erasure off (accounts.sign_in)."""
        return self.erasure_due_at is not None

    def clean(self):
        super().clean()
        self.email = self.email.lower()


class ConnectionTicket(models.Model):
    """A single-use, 30-second pass to open a WebSocket, for clients that cannot send an
    Authorization header on the upgrade. Only its hash is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
