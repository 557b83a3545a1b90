"""Outbound webhooks: endpoints, the transactional outbox of domain events, and their deliveries."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import DeliveryStatus, WebhookEventType
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_previous_refresh_token')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('type', fields.CharEnumField(description='TIER_CHANGED: tier.changed\nPOINTS_EXPIRING_SOON: points.expiring_soon\nREDEMPTION_COMPLETED: redemption.completed\nEVENT_REMINDER: event.reminder\nTICKET_BREACHED: ticket.breached', enum_type=WebhookEventType, max_length=32)),
                ('key', fields.CharField(null=True, unique=True, description='Once-only key, e.g. event.reminder:12', max_length=200)),
                ('payload', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('member_id', fields.IntField(null=True, description='The member it is about, when there is one')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('fanned_out', fields.BooleanField(default=False)),
            ],
            options={'table': 'outbox_event', 'app': 'models', 'indexes': [Index(fields=['fanned_out', 'id'])], 'pk_attr': 'id', 'table_description': 'A domain event, written in the transaction of the change it tells of, and fanned out to deliveries later.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=500)),
                ('secret', fields.CharField(description="HMAC-SHA256 key of the deliveries' signatures", max_length=128)),
                ('event_types', fields.JSONField(description='The WebhookEventType values it subscribes to', encoder=JSON_DUMPS, decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_by', fields.ForeignKeyField('models.Staff', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A receiver of outbound webhooks: its URL, the event types it takes, and its HMAC signing secret.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('models.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.OutboxEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nDELIVERED: delivered\nDEAD: dead', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, description='Due then, or while an attempt runs the end of its lease', auto_now=False, auto_now_add=False)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status_code', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'unique_together': (('endpoint', 'event'),), 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['endpoint_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One event to one endpoint, tried until the receiver answers 2xx or the attempts run out.'},
            bases=['Model'],
        ),
    ]
