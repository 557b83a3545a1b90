"""The refresh secret rotated last, so that only a copied refresh token, not any wrong one, revokes a sign-in."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_security_privacy')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuthSession',
            name='previous_refresh_hash',
            field=fields.CharField(null=True, description='SHA-256 hex of the refresh secret rotated last: shown again, it was copied', max_length=64),
        ),
    ]
