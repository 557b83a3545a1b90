"""The `clubgraph` command: serve, migrate, seed and export the schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from api.settings import Settings, SettingsError, load_settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


async def _prepare(settings: Settings, *, demo: bool, members: int) -> None:
    from domain.db import close_database, open_database
    from domain.seed import seed_demo

    print(f"Database: {settings.database_url}", flush=True)
    await open_database(settings.database_url, migrate_schema=True)
    try:
        print("Migrations applied.", flush=True)
        if demo:
            loaded = await seed_demo(members=members, progress=lambda step: print(f"  demo data: {step}", flush=True))
            print("Demo data loaded." if loaded else "Demo data already present.", flush=True)
    finally:
        await close_database()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from domain.seed import DEMO_LOGINS

    asyncio.run(_prepare(settings, demo=args.demo, members=args.members))
    print(f"\nclubgraph ({settings.env}) serving GraphQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    if args.demo:
        print("Demo logins (email / password):")
        for label, email, password in DEMO_LOGINS:
            print(f"  {label:<18} {email} / {password}")
    sys.stdout.flush()
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
    schema = commands.add_parser("schema", help="write the GraphQL SDL to schema.graphql")
    schema.add_argument("--check", action="store_true", help="fail when schema.graphql is stale instead")
    args = parser.parse_args(argv)

    if args.command == "schema":
        return _schema(args)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"clubgraph: {error}", file=sys.stderr)
        return 2
    if getattr(args, "members", 1) < 1:
        parser.error("--members must be at least 1")
    if args.command == "serve":
        _serve(settings, args)
    else:
        asyncio.run(_prepare(settings, demo=args.command == "seed", members=getattr(args, "members", 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
