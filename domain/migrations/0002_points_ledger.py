from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import EntryKind, EntrySource
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BenefitUsage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='benefit_usage', on_delete=OnDelete.CASCADE)),
                ('benefit_code', fields.CharField(max_length=64)),
                ('period_start', fields.DateField()),
                ('used', fields.IntField(default=0)),
            ],
            options={'table': 'benefit_usage', 'app': 'models', 'unique_together': (('member', 'benefit_code', 'period_start'),), 'pk_attr': 'id', 'table_description': 'Uses of one kind of benefit per member and period: the counter a quota is checked against.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BenefitUse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='benefit_uses', on_delete=OnDelete.CASCADE)),
                ('benefit', fields.ForeignKeyField('models.Benefit', source_field='benefit_id', db_constraint=True, to_field='id', related_name='uses', on_delete=OnDelete.RESTRICT)),
                ('benefit_code', fields.CharField(max_length=64)),
                ('period_start', fields.DateField()),
                ('quantity', fields.IntField(default=1)),
                ('note', fields.CharField(default='', max_length=500)),
                ('recorded_by', fields.ForeignKeyField('models.Staff', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='benefit_uses_recorded', on_delete=OnDelete.SET_NULL)),
                ('used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'benefit_use', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One recorded use of a benefit, counted against its quota for the period it falls in.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('bonus_multiplier', fields.DecimalField(description='Extra points per base point', max_digits=6, decimal_places=2)),
                ('cap_per_member', fields.IntField(null=True)),
                ('cap_total', fields.IntField(null=True)),
                ('awarded_total', fields.IntField(default=0)),
            ],
            options={'table': 'campaign', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Bonus points on purchases within a date range, capped per member and in total.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharField(description='Caller and operation the key belongs to', max_length=100)),
                ('key', fields.CharField(max_length=200)),
                ('fingerprint', fields.CharField(description='SHA-256 of the arguments', max_length=64)),
                ('result', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idempotency_record', 'app': 'models', 'unique_together': (('scope', 'key'),), 'pk_attr': 'id', 'table_description': 'The first result of a write that moved points, replayed to retries with the same key.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Purchase',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('paid_with_points', fields.DecimalField(default=0, max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('outlet', fields.CharField(max_length=100)),
                ('external_reference', fields.CharField(max_length=100)),
                ('points_earned', fields.IntField(default=0)),
                ('points_reversed', fields.IntField(default=0)),
                ('refunded_amount', fields.DecimalField(default=0, max_digits=14, decimal_places=2)),
                ('recorded_by', fields.ForeignKeyField('models.Staff', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='purchases_recorded', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'purchase', 'app': 'models', 'unique_together': (('outlet', 'external_reference'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='EARN: earn\nREDEEM: redeem\nEXPIRE: expire\nADJUST: adjust\nREVERSE: reverse\nHOLD: hold\nRELEASE: release\nTRANSFER_IN: transfer_in\nTRANSFER_OUT: transfer_out', enum_type=EntryKind, max_length=16)),
                ('source', fields.CharEnumField(description='PURCHASE: purchase\nREFUND: refund\nCAMPAIGN: campaign\nBIRTHDAY: birthday\nREFERRAL: referral\nSURVEY: survey\nEVENT: event\nPARTNER: partner\nSTAFF: staff\nTRANSFER: transfer\nEXPIRY: expiry\nREDEMPTION: redemption', enum_type=EntrySource, max_length=16)),
                ('amount', fields.IntField(description='Signed: credits positive, debits negative')),
                ('balance_after', fields.IntField()),
                ('reason', fields.CharField(default='', max_length=500)),
                ('purchase', fields.ForeignKeyField('models.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('counterpart', fields.ForeignKeyField('models.Member', source_field='counterpart_id', null=True, db_constraint=True, to_field='id', related_name='counterpart_entries', on_delete=OnDelete.RESTRICT)),
                ('reverses', fields.ForeignKeyField('models.LedgerEntry', source_field='reverses_id', null=True, db_constraint=True, to_field='id', related_name='reversals', on_delete=OnDelete.RESTRICT)),
                ('reference', fields.CharField(null=True, description='An outside reference, e.g. a redemption', max_length=100)),
                ('created_by', fields.ForeignKeyField('models.Staff', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_entry', 'app': 'models', 'indexes': [Index(fields=['member_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One movement of a member's points, never edited or deleted: corrections are new entries."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsLot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('entry', fields.ForeignKeyField('models.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.IntField()),
                ('remaining', fields.IntField()),
                ('earned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_lot', 'app': 'models', 'indexes': [Index(fields=['member_id', 'expires_at']), Index(fields=['expires_at', 'remaining'])], 'pk_attr': 'id', 'table_description': 'Points from one credit, spent oldest-expiry first and expiring together.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LotConsumption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('models.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='consumptions', on_delete=OnDelete.RESTRICT)),
                ('lot', fields.ForeignKeyField('models.PointsLot', source_field='lot_id', db_constraint=True, to_field='id', related_name='consumptions', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.IntField()),
            ],
            options={'table': 'lot_consumption', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How much of a lot one entry took (positive) or gave back (negative).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='points_balance',
            field=fields.IntField(default=0, description='Spendable points: the sum of the ledger, never negative', db_default=0),
        ),
        ops.AddField(
            model_name='Member',
            name='points_debt',
            field=fields.IntField(default=0, description='Points refunded after they were spent, cleared first by new earnings', db_default=0),
        ),
        ops.AddField(
            model_name='Member',
            name='referral_rewarded_at',
            field=fields.DatetimeField(null=True, description='When the referrer got the reward for this member', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Member',
            name='referred_by',
            field=fields.ForeignKeyField('models.Member', source_field='referred_by_id', null=True, db_constraint=True, to_field='id', related_name='referees', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Member',
            name='tier_review_on',
            field=fields.DateField(null=True, description='When the current tier is next reviewed'),
        ),
        ops.AddField(
            model_name='Member',
            name='tier_since',
            field=fields.DateField(null=True),
        ),
        ops.AlterModelOptions(
            name='Tier',
            options={'table': 'tier', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A rung of the ladder. A member qualifies when any one of the thresholds set is met in the window.'},
        ),
        ops.AddField(
            model_name='Tier',
            name='grace_days',
            field=fields.IntField(default=30, description='Days after the review date before a downgrade', db_default=30),
        ),
        ops.AddField(
            model_name='Tier',
            name='qualifying_points',
            field=fields.IntField(null=True, description='Points earned in the window'),
        ),
        ops.AddField(
            model_name='Tier',
            name='qualifying_spend',
            field=fields.DecimalField(null=True, description='Spend in the window', max_digits=14, decimal_places=2),
        ),
        ops.AddField(
            model_name='Tier',
            name='qualifying_visits',
            field=fields.IntField(null=True, description='Visits in the window'),
        ),
        ops.AddField(
            model_name='Tier',
            name='window_months',
            field=fields.IntField(default=12, description='Length of the rolling qualification window', db_default=12),
        ),
    ]
