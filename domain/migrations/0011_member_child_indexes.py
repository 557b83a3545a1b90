"""Indexes on the member id of preferences, important dates and tier changes: the DataLoaders read them by member
(at a million members, a page of 50 read the preferences by a sequential scan)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_webhooks')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ImportantDate',
            index=Index(fields=['member_id', 'id']),
        ),
        ops.AddIndex(
            model_name='MemberPreference',
            index=Index(fields=['member_id', 'id']),
        ),
        ops.AddIndex(
            model_name='TierChange',
            index=Index(fields=['member_id', 'id']),
        ),
    ]
