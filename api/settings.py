"""Settings read once from environment variables, with safe defaults for local use."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from partners.client import ISSUE_DEADLINE, STATUS_DEADLINE

# A pending redemption is left to its request for at least as long as the request may still be
# waiting on the partner: the issue, then one status lookup.
MIN_REDEMPTION_GRACE_SECONDS = math.ceil(ISSUE_DEADLINE + STATUS_DEADLINE)
DEFAULT_SECRET_KEY = "clubgraph-development-secret-do-not-use-in-production"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# The levels both `logging` and uvicorn know by these names.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    database_url: str = f"sqlite://{DEFAULT_DATA_DIR / 'clubgraph.sqlite3'}"
    secret_key: str = DEFAULT_SECRET_KEY
    token_ttl_seconds: int = 900  # an access token's lifetime; a refresh token renews it
    refresh_ttl_seconds: int = 30 * 24 * 3600  # a sign-in's lifetime: its refresh tokens stop working then
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_000_000
    log_level: str = "info"
    jobs_interval_seconds: int = 3600  # points expiry, birthday bonuses, old idempotency keys; 0 turns them off
    reconcile_interval_seconds: int = 30  # pending partner redemptions settled; 0 turns it off
    redemption_grace_seconds: int = 60  # a pending redemption is left to its request this long before reconciling
    catalog_ttl_seconds: int = 60  # a partner's catalog is cached this long per process; 0 asks every time
    federation_sdl: bool = False  # serve `_service { sdl }` in production too (to a gateway that composes from it)
    # In production, member tokens run only the persisted operations (api/persisted.py). Off behind a
    # federation gateway, which builds the subgraph's documents from its query plan and holds the
    # apps to the list itself.
    persisted_only: bool = True
    # Hot query documents skip strawberry's per-field execution (schema/compiled/); 0 turns that off.
    compiled_queries: bool = True
    max_query_cost: int = 10_000  # a query whose computed cost is higher is refused before it runs (schema/cost.py)
    partner_cost_capacity: int = 1000  # a partner API key's cost budget: what it may spend at once
    partner_cost_per_second: float = 50.0  # how fast that budget refills
    rate_limit_per_second: int = 20  # requests a member's or staff member's token may make per second; 0 turns it off
    rate_limit_burst: int = 100  # requests a token may make at once before the per-second rate applies
    # The bearer token /metrics asks for; empty: /metrics answers private addresses only (api/metrics.py).
    metrics_token: str = ""
    live_check_seconds: float = 30.0  # how often a subscription asks whether its sign-in still stands
    webhook_interval_seconds: int = 5  # seconds between passes of the webhook dispatcher; 0 turns it off
    webhook_max_attempts: int = 8  # a delivery is dead after this many failed attempts
    webhook_backoff_seconds: float = 10.0  # the wait after a delivery's first failed attempt, doubled after each
    webhook_timeout_seconds: float = 5.0  # one attempt's deadline, for the receiver's answer

    @property
    def production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        if self.env not in ("development", "production", "test"):
            raise SettingsError(f"CLUBGRAPH_ENV must be development, production or test, not {self.env!r}")
        if self.production and self.secret_key == DEFAULT_SECRET_KEY:
            raise SettingsError("CLUBGRAPH_SECRET_KEY must be set to a secret of your own in production")
        if len(self.secret_key) < 32:
            raise SettingsError("CLUBGRAPH_SECRET_KEY must be at least 32 characters long")
        if self.token_ttl_seconds <= 0:
            raise SettingsError("CLUBGRAPH_TOKEN_TTL_SECONDS must be a positive number of seconds")
        if self.refresh_ttl_seconds < self.token_ttl_seconds:
            raise SettingsError(
                "CLUBGRAPH_REFRESH_TTL_SECONDS must be at least CLUBGRAPH_TOKEN_TTL_SECONDS "
                f"({self.token_ttl_seconds}): no access token outlives its sign-in, not {self.refresh_ttl_seconds}"
            )
        if self.rate_limit_per_second < 0:
            raise SettingsError("CLUBGRAPH_RATE_LIMIT_PER_SECOND must be 0 (off) or a positive number of requests")
        if self.rate_limit_burst <= 0:
            raise SettingsError("CLUBGRAPH_RATE_LIMIT_BURST must be a positive number of requests")
        if self.max_query_cost <= 0:
            raise SettingsError("CLUBGRAPH_MAX_QUERY_COST must be a positive number")
        if self.partner_cost_capacity <= 0:
            raise SettingsError("CLUBGRAPH_PARTNER_COST_CAPACITY must be a positive number")
        if not self.partner_cost_per_second > 0 or math.isinf(self.partner_cost_per_second):
            raise SettingsError(
                "CLUBGRAPH_PARTNER_COST_PER_SECOND must be a positive number: a budget that never refills locks a partner out"
            )
        if self.max_body_bytes <= 0:
            raise SettingsError("CLUBGRAPH_MAX_BODY_BYTES must be a positive number of bytes")
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"CLUBGRAPH_PORT must be between 1 and 65535, not {self.port}")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(f"CLUBGRAPH_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        if not self.database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise SettingsError("DATABASE_URL must be a sqlite:// or postgres:// URL")
        if self.jobs_interval_seconds < 0:
            raise SettingsError("CLUBGRAPH_JOBS_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds")
        if self.reconcile_interval_seconds < 0:
            raise SettingsError("CLUBGRAPH_RECONCILE_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds")
        if self.webhook_interval_seconds < 0:
            raise SettingsError("CLUBGRAPH_WEBHOOK_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds")
        if not 1 <= self.webhook_max_attempts <= 100:
            raise SettingsError(f"CLUBGRAPH_WEBHOOK_MAX_ATTEMPTS must be from 1 to 100, not {self.webhook_max_attempts}")
        if not 0 < self.webhook_backoff_seconds <= 3600:
            raise SettingsError("CLUBGRAPH_WEBHOOK_BACKOFF_SECONDS must be a number of seconds above 0 and at most 3600")
        if not 0 < self.webhook_timeout_seconds <= 60:
            raise SettingsError("CLUBGRAPH_WEBHOOK_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 60")
        if not 0 < self.live_check_seconds <= 3600:
            raise SettingsError("CLUBGRAPH_LIVE_CHECK_SECONDS must be a number of seconds above 0 and at most 3600")
        if self.metrics_token and len(self.metrics_token) < 16:
            raise SettingsError("CLUBGRAPH_METRICS_TOKEN must be at least 16 characters long, or empty (private addresses only)")
        if self.catalog_ttl_seconds < 0:
            raise SettingsError("CLUBGRAPH_CATALOG_TTL_SECONDS must be 0 or a positive number of seconds")
        if self.redemption_grace_seconds < MIN_REDEMPTION_GRACE_SECONDS:
            raise SettingsError(
                f"CLUBGRAPH_REDEMPTION_GRACE_SECONDS must be at least {MIN_REDEMPTION_GRACE_SECONDS} seconds, the "
                f"partner issue deadline plus the status lookup's ({ISSUE_DEADLINE:g} + {STATUS_DEADLINE:g} s): a "
                f"shorter grace lets reconciliation cancel a reward its request is still waiting for, not "
                f"{self.redemption_grace_seconds}"
            )


def _int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _float(environ: dict[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None


def _bool(environ: dict[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.strip().lower() in ("1", "true"):
        return True
    if raw.strip().lower() in ("0", "false"):
        return False
    raise SettingsError(f"{name} must be 1 or true (on), 0 or false (off), not {raw!r}")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    defaults = Settings()
    settings = Settings(
        env=environ.get("CLUBGRAPH_ENV", defaults.env),
        database_url=environ.get("DATABASE_URL") or defaults.database_url,
        secret_key=environ.get("CLUBGRAPH_SECRET_KEY") or defaults.secret_key,
        token_ttl_seconds=_int(environ, "CLUBGRAPH_TOKEN_TTL_SECONDS", defaults.token_ttl_seconds),
        refresh_ttl_seconds=_int(environ, "CLUBGRAPH_REFRESH_TTL_SECONDS", defaults.refresh_ttl_seconds),
        host=environ.get("CLUBGRAPH_HOST", defaults.host),
        port=_int(environ, "CLUBGRAPH_PORT", defaults.port),
        max_body_bytes=_int(environ, "CLUBGRAPH_MAX_BODY_BYTES", defaults.max_body_bytes),
        log_level=environ.get("CLUBGRAPH_LOG_LEVEL", defaults.log_level),
        jobs_interval_seconds=_int(environ, "CLUBGRAPH_JOBS_INTERVAL_SECONDS", defaults.jobs_interval_seconds),
        reconcile_interval_seconds=_int(environ, "CLUBGRAPH_RECONCILE_INTERVAL_SECONDS", defaults.reconcile_interval_seconds),
        redemption_grace_seconds=_int(environ, "CLUBGRAPH_REDEMPTION_GRACE_SECONDS", defaults.redemption_grace_seconds),
        catalog_ttl_seconds=_int(environ, "CLUBGRAPH_CATALOG_TTL_SECONDS", defaults.catalog_ttl_seconds),
        federation_sdl=_bool(environ, "CLUBGRAPH_FEDERATION_SDL", defaults.federation_sdl),
        persisted_only=_bool(environ, "CLUBGRAPH_PERSISTED_ONLY", defaults.persisted_only),
        compiled_queries=_bool(environ, "CLUBGRAPH_COMPILED_QUERIES", defaults.compiled_queries),
        max_query_cost=_int(environ, "CLUBGRAPH_MAX_QUERY_COST", defaults.max_query_cost),
        partner_cost_capacity=_int(environ, "CLUBGRAPH_PARTNER_COST_CAPACITY", defaults.partner_cost_capacity),
        partner_cost_per_second=_float(environ, "CLUBGRAPH_PARTNER_COST_PER_SECOND", defaults.partner_cost_per_second),
        rate_limit_per_second=_int(environ, "CLUBGRAPH_RATE_LIMIT_PER_SECOND", defaults.rate_limit_per_second),
        rate_limit_burst=_int(environ, "CLUBGRAPH_RATE_LIMIT_BURST", defaults.rate_limit_burst),
        metrics_token=environ.get("CLUBGRAPH_METRICS_TOKEN", defaults.metrics_token).strip(),
        live_check_seconds=_float(environ, "CLUBGRAPH_LIVE_CHECK_SECONDS", defaults.live_check_seconds),
        webhook_interval_seconds=_int(environ, "CLUBGRAPH_WEBHOOK_INTERVAL_SECONDS", defaults.webhook_interval_seconds),
        webhook_max_attempts=_int(environ, "CLUBGRAPH_WEBHOOK_MAX_ATTEMPTS", defaults.webhook_max_attempts),
        webhook_backoff_seconds=_float(environ, "CLUBGRAPH_WEBHOOK_BACKOFF_SECONDS", defaults.webhook_backoff_seconds),
        webhook_timeout_seconds=_float(environ, "CLUBGRAPH_WEBHOOK_TIMEOUT_SECONDS", defaults.webhook_timeout_seconds),
    )
    settings.check()
    return settings
