from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import PartnerStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_events_care_feedback')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Partner',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('slug', fields.CharField(unique=True, description='Stable short name, from the name at creation', max_length=64)),
                ('status', fields.CharEnumField(default=PartnerStatus.ACTIVE, description='ACTIVE: active\nSUSPENDED: suspended', enum_type=PartnerStatus, max_length=16)),
                ('base_url', fields.CharField(null=True, description='The partner protocol endpoint, null for push-only partners', max_length=500)),
                ('point_value', fields.DecimalField(description='What one point is worth to this partner', max_digits=12, decimal_places=4)),
                ('currency', fields.CharField(description='ISO 4217 code of point_value', max_length=3)),
                ('signing_secret', fields.CharField(description='HMAC key of signed requests, both ways', max_length=128)),
                ('require_signature', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A partner merchant: its protocol endpoint, its settlement terms and its HMAC signing secret.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.RESTRICT)),
                ('prefix', fields.CharField(unique=True, description='The public key id, e.g. pk_ and 10 characters', max_length=32)),
                ('secret_hash', fields.CharField(description='SHA-256 hex of the secret part', max_length=64)),
                ('label', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.Staff', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='partner_api_keys_created', on_delete=OnDelete.SET_NULL)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner_api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An API key of a partner: the public prefix finds it, the SHA-256 of the secret part proves it.'},
            bases=['Model'],
        ),
    ]
