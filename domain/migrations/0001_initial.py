from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import ConsentPurpose, ConsentSource, Gender, ImportantDateKind, MemberStatus, PreferenceCategory, QuotaPeriod, StaffRole, TierChangeSource
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('name', fields.CharField(max_length=200)),
                ('role', fields.CharEnumField(description='FRONT_DESK: front_desk\nACCOUNT_MANAGER: account_manager\nEVENT_MANAGER: event_manager\nPARTNER_MANAGER: partner_manager\nCLUB_MANAGER: club_manager\nADMINISTRATOR: administrator', enum_type=StaffRole, max_length=32)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tier',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('rank', fields.IntField(unique=True, description='Position on the ladder, higher is better')),
                ('description', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'tier', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Benefit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tier', fields.ForeignKeyField('models.Tier', source_field='tier_id', db_constraint=True, to_field='id', related_name='benefits', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(description='Stable kind of benefit, e.g. guest_pass', max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('quota', fields.IntField(null=True, description='Uses allowed per period, null for unlimited')),
                ('quota_period', fields.CharEnumField(null=True, description='MONTH: month\nYEAR: year', enum_type=QuotaPeriod, max_length=16)),
                ('value', fields.DecimalField(null=True, description='e.g. points multiplier', max_digits=10, decimal_places=2)),
            ],
            options={'table': 'benefit', 'app': 'models', 'unique_together': (('tier', 'code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('name', fields.CharField(db_index=True, max_length=200)),
                ('gender', fields.CharEnumField(default=Gender.UNDISCLOSED, description='FEMALE: female\nMALE: male\nNON_BINARY: non_binary\nUNDISCLOSED: undisclosed', enum_type=Gender, max_length=16)),
                ('phone', fields.CharField(null=True, max_length=16)),
                ('birthday', fields.DateField(null=True)),
                ('joined_on', fields.DateField()),
                ('status', fields.CharEnumField(default=MemberStatus.ACTIVE, description='ACTIVE: active\nSUSPENDED: suspended\nRESIGNED: resigned', enum_type=MemberStatus, max_length=16)),
                ('tier', fields.ForeignKeyField('models.Tier', source_field='tier_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('account_manager', fields.ForeignKeyField('models.Staff', source_field='account_manager_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('referral_code', fields.CharField(unique=True, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'member', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Consent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharEnumField(description='MARKETING: marketing\nPROFILING: profiling\nPARTNER_SHARING: partner_sharing', enum_type=ConsentPurpose, max_length=32)),
                ('granted', fields.BooleanField()),
                ('source', fields.CharEnumField(description='WEB: web\nMOBILE: mobile\nSTAFF: staff\nIMPORT: import', enum_type=ConsentSource, max_length=16)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent', 'app': 'models', 'unique_together': (('member', 'purpose'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportantDate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='important_dates', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ANNIVERSARY: anniversary\nCUSTOM: custom', enum_type=ImportantDateKind, max_length=16)),
                ('label', fields.CharField(max_length=200)),
                ('date', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'important_date', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='preferences', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharEnumField(description='FOOD: food\nDRINK: drink\nSEATING: seating\nLIGHTING: lighting\nMUSIC: music\nCONTACT_CHANNEL: contact_channel\nCONTACT_HOURS: contact_hours\nINTEREST: interest\nTABOO: taboo\nSPECIAL_NEED: special_need\nNOTE: note', enum_type=PreferenceCategory, max_length=32)),
                ('value', fields.CharField(max_length=500)),
                ('is_private', fields.BooleanField(default=False)),
                ('noted_by', fields.ForeignKeyField('models.Staff', source_field='noted_by_id', null=True, db_constraint=True, to_field='id', related_name='noted_preferences', on_delete=OnDelete.SET_NULL)),
                ('noted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member_preference', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TierChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='tier_changes', on_delete=OnDelete.CASCADE)),
                ('from_tier', fields.ForeignKeyField('models.Tier', source_field='from_tier_id', null=True, db_constraint=True, to_field='id', related_name='changes_from', on_delete=OnDelete.RESTRICT)),
                ('to_tier', fields.ForeignKeyField('models.Tier', source_field='to_tier_id', db_constraint=True, to_field='id', related_name='changes_to', on_delete=OnDelete.RESTRICT)),
                ('source', fields.CharEnumField(description='ENROLMENT: enrolment\nMANUAL: manual\nQUALIFICATION: qualification\nREVIEW: review', enum_type=TierChangeSource, max_length=16)),
                ('reason', fields.CharField(max_length=500)),
                ('changed_by', fields.ForeignKeyField('models.Staff', source_field='changed_by_id', null=True, db_constraint=True, to_field='id', related_name='tier_changes_made', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tier_change', 'app': 'models', 'pk_attr': 'id', 'table_description': "One row per tier change, never edited: the member's tier history."},
            bases=['Model'],
        ),
    ]
