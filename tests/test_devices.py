"""A device token is a phone: it moves freely within an organisation (a shared phone), but an
account in another organisation takes it only once its owner has signed out on it or left it
idle, so learning someone's token is not enough to take their pushes away."""

from datetime import timedelta

import pytest
from django.utils import timezone

from nudges.models import Device
from tests.conftest import error_codes
from tests.test_nudges_api import LOGOUT_EVERYWHERE, TOKEN, a_device, device_url, register

pytestmark = pytest.mark.django_db


def test_a_token_held_in_another_organisation_is_refused_and_stays_with_its_owner(client_for, member, outsider):
    a_device(outsider, app_version="1.0")

    response = register(client_for(member))

    assert response.status_code == 409
    assert error_codes(response) == [(None, "device_in_use")]
    device = Device.objects.get(token=TOKEN)
    assert (device.user_id, device.app_version, device.active) == (outsider.pk, "1.0", True)


def test_the_refusal_never_says_whose_the_token_is(client_for, member, outsider):
    a_device(outsider)

    body = register(client_for(member)).content.decode()

    for trace in (outsider.email, outsider.display_name, f'"{outsider.pk}"', str(outsider.organisation_id)):
        assert trace not in body


def test_a_token_moves_within_the_organisation_across_teams(client_for, member, colleague):
    a_device(colleague)

    assert register(client_for(member)).status_code == 200
    assert Device.objects.get(token=TOKEN).user_id == member.pk


def test_a_token_moves_across_organisations_once_its_owner_signed_out_on_the_device(client_for, member, outsider):
    a_device(outsider)
    assert client_for(outsider).delete(device_url(TOKEN)).status_code == 204

    assert register(client_for(member)).status_code == 201
    assert Device.objects.get(token=TOKEN).user_id == member.pk


def test_a_token_moves_across_organisations_once_its_owner_signed_out_everywhere(client_for, member, outsider):
    a_device(outsider)
    assert client_for(outsider).post(LOGOUT_EVERYWHERE).status_code == 204

    assert register(client_for(member)).status_code == 201


def test_a_token_idle_for_the_configured_days_moves_across_organisations(settings, client_for, member, outsider):
    settings.DEVICE_TAKEOVER_IDLE_DAYS = 10
    a_device(outsider, updated_at=timezone.now() - timedelta(days=10, minutes=1))

    assert register(client_for(member)).status_code == 200
    assert Device.objects.get(token=TOKEN).user_id == member.pk


def test_a_token_refreshed_within_the_configured_days_stays(settings, client_for, member, outsider):
    settings.DEVICE_TAKEOVER_IDLE_DAYS = 10
    a_device(outsider, updated_at=timezone.now() - timedelta(days=9, hours=23))

    assert register(client_for(member)).status_code == 409
    assert Device.objects.get(token=TOKEN).user_id == outsider.pk


def test_someone_without_an_organisation_cannot_take_a_fresh_token(client_for, staff_admin, outsider):
    a_device(outsider)

    assert register(client_for(staff_admin)).status_code == 409
