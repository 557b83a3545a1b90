"""The `clubgraph` command: serve, migrate, seed, review tiers, points jobs and export the schema."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from api.settings import Settings, SettingsError, load_settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


async def _prepare(settings: Settings, *, demo: bool, members: int) -> None:
    from domain.db import close_database, open_database
    from domain.seed import seed_demo
    from partners.demo_data import seed_demo_partners
    from partners.demo_redemptions import seed_demo_redemptions

    print(f"Database: {settings.database_url}", flush=True)
    await open_database(settings.database_url, migrate_schema=True)
    try:
        print("Migrations applied.", flush=True)
        if demo:
            report = lambda step: print(f"  demo data: {step}", flush=True)  # noqa: E731
            loaded = await seed_demo(members=members, progress=report)
            if loaded:
                await seed_demo_partners(progress=report)
                await seed_demo_redemptions(progress=report)
            print("Demo data loaded." if loaded else "Demo data already present.", flush=True)
    finally:
        await close_database()


async def _tier_review(settings: Settings, args: argparse.Namespace) -> None:
    from domain.db import close_database, open_database
    from domain.tiers import review_tiers

    # No migration here: a scheduled job should not change the schema under a rollout.
    await open_database(settings.database_url, migrate_schema=False)
    try:
        day = args.date or datetime.now(timezone.utc).date()
        print(f"Tier review of {day:%Y-%m-%d}", flush=True)
        summary = await review_tiers(
            today=day, batch_size=args.batch_size, progress=lambda line: print(f"  {line}", flush=True)
        )
        print(
            f"Done: {summary.reviewed} reviewed, {summary.kept} kept their tier, {summary.moved_down} moved down; "
            f"{summary.dated} without a review date were given one.",
            flush=True,
        )
    finally:
        await close_database()


async def _points_job(settings: Settings, args: argparse.Namespace) -> int:
    """ledger-check, expire-points and birthday-bonuses: by hand, or from a scheduler instead of the app's own."""
    from domain import ledger, models, points
    from domain.db import close_database, open_database

    # No migration here either, for the same reason as the tier review.
    await open_database(settings.database_url, migrate_schema=False)
    try:
        if args.command == "ledger-check":
            members = await models.Member.all().count()
            print(f"Checking the ledger of {members} members ...", flush=True)
            violations = await ledger.check_invariants()
            for violation in violations:
                lot = f", lot {violation.lot_id}" if violation.lot_id is not None else ""
                print(f"  member {violation.member_id}{lot}: {violation.problem}", flush=True)
            if violations:
                print(f"ledger inconsistent: {len(violations)} violations", flush=True)
                return 1
            print(f"ledger consistent: {members} members", flush=True)
        elif args.command == "expire-points":
            now = ledger.utcnow()
            print(f"Expiring the points due by {now:%Y-%m-%d %H:%M:%S} UTC ...", flush=True)
            print(f"Expired {await ledger.expire_due_lots(now=now)} points.", flush=True)
        else:
            day = args.date or datetime.now(timezone.utc).date()
            print(f"Birthday bonuses of {day:%Y-%m-%d} ...", flush=True)
            print(f"{await points.run_birthday_bonuses(today=day)} members got their birthday bonus.", flush=True)
        return 0
    finally:
        await close_database()


async def _reconcile(settings: Settings) -> int:
    """One reconciliation of the pending partner redemptions that are due, e.g. after an outage."""
    from domain import models
    from domain.db import close_database, open_database
    from partners.client import PartnerClient
    from partners.redemption import reconcile_pending

    await open_database(settings.database_url, migrate_schema=False)
    client = PartnerClient()
    try:
        pending = await models.Redemption.filter(status=models.RedemptionStatus.PENDING).count()
        print(f"Reconciling: {pending} redemptions pending ...", flush=True)
        outcomes = await reconcile_pending(client=client)
        print("Done: " + (", ".join(f"{count} {name}" for name, count in sorted(outcomes.items())) or "none due"), flush=True)
        return 0
    finally:
        await client.close()
        await close_database()


async def _webhooks(settings: Settings) -> int:
    """One pass of the webhook dispatcher: fan out new events, attempt the deliveries that are due."""
    import httpx

    from api.app import delivery_rules
    from domain.db import close_database, open_database
    from domain.webhooks import backlog, deliver_due

    await open_database(settings.database_url, migrate_schema=False)
    try:
        async with httpx.AsyncClient() as http:
            print(f"Delivering webhooks: {await backlog()} waiting ...", flush=True)
            outcomes = await deliver_due(http=http, rules=delivery_rules(settings), progress=lambda line: print(line, flush=True))
        print("Done: " + ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items())), flush=True)
        return 0
    finally:
        await close_database()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import contextlib
    import os

    import uvicorn

    from api.metrics import MULTIPROC_DIR, multiprocess_directory

    from domain.seed import DEMO_LOGINS

    asyncio.run(_prepare(settings, demo=args.demo, members=args.members))
    print(f"\nclubgraph ({settings.env}) serving GraphQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    if args.demo:
        print("Demo logins (email / password):")
        for label, email, password in DEMO_LOGINS:
            print(f"  {label:<18} {email} / {password}")
    partners = _start_demo_partners(settings) if args.demo else []
    sys.stdout.flush()
    # Several workers share their metrics through files, so that one scrape gives the whole server's
    # figures (api/metrics.py): the folder is set before the workers start, and emptied of an earlier run's.
    shared = args.workers > 1 or os.environ.get(MULTIPROC_DIR)
    shared_metrics = multiprocess_directory() if shared else contextlib.nullcontext()
    # uvicorn shuts down on SIGTERM, then raises it again; by default that would end the process at once,
    # leaving the demo partners running. As SystemExit it goes through the `finally` below.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        with shared_metrics:
            uvicorn.run(
                "api.app:create_app",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=args.workers,
                access_log=False,
                log_level=settings.log_level,
                log_config=None,  # our JSON logging, set up by create_app, covers uvicorn's loggers too
            )
    finally:
        if partners:
            from partners.run_demo import stop_demo_partners

            stop_demo_partners(partners)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _start_demo_partners(settings: Settings) -> list:
    """The demo's two reference partners, registered by the demo data; the demo runs without them if they cannot start.

    Their stores live beside a SQLite database (in `data/partners/` for the default one).
    """
    from pathlib import Path

    from partners.demo_data import DEMO_API_KEYS
    from partners.run_demo import DEMO_PARTNERS, REPO, start_demo_partners

    if settings.database_url.startswith("sqlite://"):
        store_dir = Path(settings.database_url.removeprefix("sqlite://")).parent / "partners"
    else:
        store_dir = REPO / "data" / "partners"
    try:
        processes = start_demo_partners(store_dir=store_dir)
    except RuntimeError as exc:
        print(f"Demo partners not started ({exc}): their catalogs will show as unavailable.", flush=True)
        return []
    print("Demo partners (API key for the partner's own calls):")
    for partner in DEMO_PARTNERS:
        prefix, secret = DEMO_API_KEYS[partner.name]
        print(f"  {partner.name:<18} {partner.url}  ApiKey {prefix}.{secret}")
    prefix, secret = DEMO_API_KEYS["Fleurs Sauveterre"]
    print(f"  {'Fleurs Sauveterre':<18} (pushes its catalog)  ApiKey {prefix}.{secret}")
    return processes


def _schema(args: argparse.Namespace) -> int:
    from schema import sdl

    current = sdl()
    if args.check:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != current:
            print(f"{SCHEMA_FILE.name} is stale: run `clubgraph schema` and commit it", file=sys.stderr)
            return 1
        print(f"{SCHEMA_FILE.name} is up to date")
        return 0
    SCHEMA_FILE.write_text(current)
    print(f"Wrote {SCHEMA_FILE}")
    return 0


def _persisted() -> int:
    """The allow-list for the app teams: each persisted operation's hash and name (api/persisted/)."""
    from api.persisted import MANIFEST

    for operation in sorted(MANIFEST.values(), key=lambda operation: operation.name):
        print(f"{operation.sha256}  {operation.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clubgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database, then serve GraphQL")
    serve.add_argument("--demo", action="store_true", help="load the demo data into an empty database first")
    serve.add_argument("--members", type=int, default=240, help="demo members to generate (default 240)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    commands.add_parser("migrate", help="apply the database migrations")
    seed = commands.add_parser("seed", help="migrate, then load the demo data into an empty database")
    seed.add_argument("--members", type=int, default=240, help="demo members to generate (default 240)")
    review = commands.add_parser("tier-review", help="review the tiers that are due: keep them or move members down")
    review.add_argument("--date", type=date.fromisoformat, help="day of the review, YYYY-MM-DD (default: today, UTC)")
    review.add_argument("--batch-size", type=int, default=500, help="members per batch (default 500)")
    commands.add_parser("ledger-check", help="check every invariant of the points ledger; exit 1 when one breaks")
    commands.add_parser("expire-points", help="expire the points whose date has passed")
    birthdays = commands.add_parser("birthday-bonuses", help="award the birthday bonus to members born on the day")
    birthdays.add_argument("--date", type=date.fromisoformat, help="the day, YYYY-MM-DD (default: today, UTC)")
    commands.add_parser("reconcile", help="settle the pending partner redemptions that are due, once")
    commands.add_parser("webhooks", help="deliver the webhooks that are due, once")
    schema = commands.add_parser("schema", help="write the GraphQL SDL to schema.graphql")
    schema.add_argument("--check", action="store_true", help="fail when schema.graphql is stale instead")
    commands.add_parser("persisted", help="list the persisted operations: SHA-256 hash and operation name")
    args = parser.parse_args(argv)

    if args.command == "schema":
        return _schema(args)
    if args.command == "persisted":
        return _persisted()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"clubgraph: {error}", file=sys.stderr)
        return 2
    if getattr(args, "members", 1) < 1:
        parser.error("--members must be at least 1")
    if getattr(args, "batch_size", 1) < 1:
        parser.error("--batch-size must be at least 1")
    if args.command == "serve":
        _serve(settings, args)
    elif args.command == "tier-review":
        asyncio.run(_tier_review(settings, args))
    elif args.command == "reconcile":
        return asyncio.run(_reconcile(settings))
    elif args.command == "webhooks":
        return asyncio.run(_webhooks(settings))
    elif args.command in ("ledger-check", "expire-points", "birthday-bonuses"):
        return asyncio.run(_points_job(settings, args))
    else:
        asyncio.run(_prepare(settings, demo=args.command == "seed", members=getattr(args, "members", 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
