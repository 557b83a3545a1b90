"""Sessions, the audit log, shared leaky buckets and erasure: the tables of the security milestone."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import AuditKind, StaffRole
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_voucher_codes_not_unique')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('kind', fields.CharEnumField(description='READ: read\nWRITE: write\nEXPORT: export\nAUTH: auth', enum_type=AuditKind, max_length=16)),
                ('actor_kind', fields.CharField(description='member, staff, partner or anonymous', max_length=16)),
                ('actor_id', fields.IntField(null=True)),
                ('actor_role', fields.CharField(null=True, max_length=32)),
                ('action', fields.CharField(description='The mutation, or Type.field read, e.g. Member.phone', max_length=100)),
                ('member_id', fields.IntField(null=True, db_index=True, description='The member concerned, when there is one')),
                ('outcome', fields.CharField(default='ok', description='ok, or the error code', max_length=64)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('detail', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'indexes': [Index(fields=['actor_kind', 'actor_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One line of the append-only audit log: who, in which role, did or read what, about which member, when.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, description="Random hex, the access tokens' sid", max_length=32)),
                ('subject_kind', fields.CharField(description='member or staff', max_length=16)),
                ('subject_id', fields.IntField()),
                ('role', fields.CharEnumField(null=True, description='FRONT_DESK: front_desk\nACCOUNT_MANAGER: account_manager\nEVENT_MANAGER: event_manager\nPARTNER_MANAGER: partner_manager\nCLUB_MANAGER: club_manager\nADMINISTRATOR: administrator', enum_type=StaffRole, max_length=32)),
                ('refresh_hash', fields.CharField(description='SHA-256 hex of the current refresh secret', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('refreshed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(description='When the refresh token stops working, whatever happens', auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_reason', fields.CharField(null=True, max_length=64)),
                ('client_address', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'auth_session', 'app': 'models', 'indexes': [Index(fields=['subject_kind', 'subject_id'])], 'pk_attr': 'id', 'table_description': 'A sign-in: the refresh token that renews its short-lived access tokens, until it expires or is revoked.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateBucket',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, description='e.g. partner-key:pk_abc or login-account:email', max_length=200)),
                ('level', fields.FloatField()),
                ('updated_at', fields.FloatField(description='Unix time of the last charge')),
            ],
            options={'table': 'rate_bucket', 'app': 'models', 'pk_attr': 'key', 'table_description': 'A leaky bucket shared by every worker process: a level that drains at a fixed rate.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='erased_at',
            field=fields.DatetimeField(null=True, description='When the personal data was pseudonymized on request', auto_now=False, auto_now_add=False),
        ),
    ]
