"""Refresh tokens stored whole before this app existed are replaced by their hashes."""

from django.db import migrations

from refresh_tokens.storage import PREFIX, stored_form


def hash_stored_tokens(apps, schema_editor):
    OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
    while batch := list(OutstandingToken.objects.exclude(token__startswith=PREFIX).only("pk", "token")[:1000]):
        for row in batch:
            row.token = stored_form(row.token)
        OutstandingToken.objects.bulk_update(batch, ["token"])


class Migration(migrations.Migration):
    dependencies = [("token_blacklist", "0013_alter_blacklistedtoken_options_and_more")]

    # Hashes cannot be turned back into tokens; going back leaves them hashed, which is harmless.
    operations = [migrations.RunPython(hash_stored_tokens, migrations.RunPython.noop)]
