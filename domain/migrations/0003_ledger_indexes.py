from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_points_ledger')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['member_id', 'id']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['purchase_id']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['reverses_id']),
        ),
        ops.AddIndex(
            model_name='LotConsumption',
            index=Index(fields=['entry_id']),
        ),
        ops.AddIndex(
            model_name='LotConsumption',
            index=Index(fields=['lot_id']),
        ),
        ops.AddIndex(
            model_name='PointsLot',
            index=Index(fields=['entry_id']),
        ),
    ]
