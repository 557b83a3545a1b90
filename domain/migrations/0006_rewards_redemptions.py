from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import RedemptionStatus, RewardDelivery, VoucherStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_partners')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PartnerCatalogItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='catalog_items', on_delete=OnDelete.RESTRICT)),
                ('item_id', fields.CharField(description="The partner's id of the item", max_length=100)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('points_price', fields.IntField()),
                ('stock', fields.IntField(null=True, description='Units left, null for unlimited')),
                ('tier_restriction', fields.CharField(null=True, description="The lowest tier's name", max_length=64)),
                ('category', fields.CharField(max_length=64)),
                ('image_url', fields.CharField(null=True, max_length=500)),
                ('validity_days', fields.IntField(default=90)),
                ('delivery', fields.CharEnumField(default=RewardDelivery.VOUCHER, description='VOUCHER: voucher\nFULFILMENT: fulfilment', enum_type=RewardDelivery, max_length=16)),
                ('pushed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner_catalog_item', 'app': 'models', 'unique_together': (('partner', 'item_id'),), 'pk_attr': 'id', 'table_description': 'An item of a catalog a partner pushed through the API, instead of (or besides) serving it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerMemberReference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='member_references', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='partner_references', on_delete=OnDelete.RESTRICT)),
                ('reference', fields.CharField(unique=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_member_reference', 'app': 'models', 'unique_together': (('partner', 'member'),), 'pk_attr': 'id', 'table_description': 'The pseudonymous reference by which one partner knows one member: random, so it reveals nothing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerPointsAward',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='points_awards', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='partner_awards', on_delete=OnDelete.RESTRICT)),
                ('points', fields.IntField()),
                ('purchase_reference', fields.CharField(max_length=100)),
                ('entry', fields.ForeignKeyField('models.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='partner_awards', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner_points_award', 'app': 'models', 'unique_together': (('partner', 'purchase_reference'),), 'indexes': [Index(fields=['partner_id', 'member_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Points a partner awarded a member for a purchase at its shop, once per purchase reference.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reward',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('points_price', fields.IntField(description='Points for one unit')),
                ('stock', fields.IntField(null=True, description='Units left, null for unlimited')),
                ('tier', fields.ForeignKeyField('models.Tier', source_field='tier_id', null=True, description='The lowest tier allowed', db_constraint=True, to_field='id', related_name='rewards', on_delete=OnDelete.RESTRICT)),
                ('category', fields.CharField(max_length=64)),
                ('image_url', fields.CharField(null=True, max_length=500)),
                ('validity_days', fields.IntField(default=90)),
                ('delivery', fields.CharEnumField(default=RewardDelivery.VOUCHER, description='VOUCHER: voucher\nFULFILMENT: fulfilment', enum_type=RewardDelivery, max_length=16)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reward', 'app': 'models', 'pk_attr': 'id', 'table_description': "One of the club's own rewards, issued by the club itself as a voucher."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Redemption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reference', fields.CharField(unique=True, max_length=100)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('reward', fields.ForeignKeyField('models.Reward', source_field='reward_id', null=True, db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('item_id', fields.CharField(description="The partner's item id, or the club reward's id", max_length=100)),
                ('title', fields.CharField(max_length=200)),
                ('quantity', fields.IntField()),
                ('points', fields.IntField(description='Points for all units')),
                ('status', fields.CharEnumField(default=RedemptionStatus.PENDING, description='PENDING: pending\nCOMPLETED: completed\nREFUSED: refused\nCANCELLED: cancelled', enum_type=RedemptionStatus, max_length=16)),
                ('idempotency_key', fields.CharField(max_length=200)),
                ('fingerprint', fields.CharField(description='SHA-256 of the reward and quantity asked for', max_length=64)),
                ('failure_code', fields.CharField(null=True, max_length=64)),
                ('failure_message', fields.CharField(null=True, max_length=500)),
                ('hold_entry', fields.ForeignKeyField('models.LedgerEntry', source_field='hold_entry_id', null=True, db_constraint=True, to_field='id', related_name='held_redemptions', on_delete=OnDelete.RESTRICT)),
                ('redeem_entry', fields.ForeignKeyField('models.LedgerEntry', source_field='redeem_entry_id', null=True, db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('attempts', fields.IntField(default=0, description='Status lookups made to settle a pending redemption')),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('settled_at', fields.DatetimeField(null=True, description='When it left pending', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'redemption', 'app': 'models', 'unique_together': (('member', 'idempotency_key'),), 'indexes': [Index(fields=['member_id', 'id']), Index(fields=['status', 'next_attempt_at']), Index(fields=['partner_id', 'settled_at'])], 'pk_attr': 'id', 'table_description': 'A member spending points on a reward: held, then issued and captured, or refused and released.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Voucher',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('redemption', fields.OneToOneField('models.Redemption', source_field='redemption_id', db_constraint=True, to_field='id', related_name='voucher', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='vouchers', on_delete=OnDelete.RESTRICT)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', null=True, description="Null for the club's own", db_constraint=True, to_field='id', related_name='vouchers', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(null=True, description='The code shown at the counter', max_length=100)),
                ('fulfilment_id', fields.CharField(null=True, description="The issuer's order or booking reference", max_length=100)),
                ('title', fields.CharField(max_length=200)),
                ('quantity', fields.IntField()),
                ('status', fields.CharEnumField(default=VoucherStatus.ISSUED, description='ISSUED: issued\nCONSUMED: consumed\nCANCELLED: cancelled', enum_type=VoucherStatus, max_length=16)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'voucher', 'app': 'models', 'unique_together': (('partner', 'code'),), 'indexes': [Index(fields=['member_id', 'id']), Index(fields=['partner_id', 'consumed_at']), Index(fields=['code'])], 'pk_attr': 'id', 'table_description': 'What a completed redemption issued: a code shown at the counter, or a fulfilment reference.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Partner',
            name='daily_award_cap',
            field=fields.IntField(default=10000, description='Most points the partner may award one member per UTC day', db_default=10000),
        ),
    ]
