"""Settings from environment variables: safe defaults, and a clear refusal of anything unfit."""

from __future__ import annotations

import pytest

from api.settings import DEFAULT_DATA_DIR, DEFAULT_SECRET_KEY, Settings, SettingsError, load_settings

SECRET = "a-secret-of-our-own-" + "s" * 20


def test_no_variables_give_the_local_defaults():
    # when
    settings = load_settings({})
    # then
    assert settings == Settings(
        env="development",
        database_url=f"sqlite://{DEFAULT_DATA_DIR / 'clubgraph.sqlite3'}",
        secret_key=DEFAULT_SECRET_KEY,
        token_ttl_seconds=900,
        refresh_ttl_seconds=2_592_000,
        host="127.0.0.1",
        port=8000,
        max_body_bytes=1_000_000,
        log_level="info",
        jobs_interval_seconds=3600,
        reconcile_interval_seconds=30,
        redemption_grace_seconds=60,
        catalog_ttl_seconds=60,
        federation_sdl=False,
        persisted_only=True,
        rate_limit_per_second=20,
        rate_limit_burst=100,
        max_query_cost=10_000,
        partner_cost_capacity=1000,
        partner_cost_per_second=50.0,
    )
    assert settings.production is False


def test_every_variable_is_read():
    # given
    environ = {
        "CLUBGRAPH_ENV": "production",
        "DATABASE_URL": "postgresql://club:pw@db.internal:5432/club",
        "CLUBGRAPH_SECRET_KEY": SECRET,
        "CLUBGRAPH_TOKEN_TTL_SECONDS": "600",
        "CLUBGRAPH_REFRESH_TTL_SECONDS": "86400",
        "CLUBGRAPH_HOST": "0.0.0.0",
        "CLUBGRAPH_PORT": "9000",
        "CLUBGRAPH_MAX_BODY_BYTES": "65536",
        "CLUBGRAPH_LOG_LEVEL": "warning",
        "CLUBGRAPH_JOBS_INTERVAL_SECONDS": "0",
        "CLUBGRAPH_RECONCILE_INTERVAL_SECONDS": "5",
        "CLUBGRAPH_REDEMPTION_GRACE_SECONDS": "20",
        "CLUBGRAPH_CATALOG_TTL_SECONDS": "0",
        "CLUBGRAPH_FEDERATION_SDL": "true",
        "CLUBGRAPH_PERSISTED_ONLY": "0",
        "CLUBGRAPH_RATE_LIMIT_PER_SECOND": "5",
        "CLUBGRAPH_RATE_LIMIT_BURST": "10",
        "CLUBGRAPH_MAX_QUERY_COST": "2500",
        "CLUBGRAPH_PARTNER_COST_CAPACITY": "300",
        "CLUBGRAPH_PARTNER_COST_PER_SECOND": "0.5",
        "CLUBGRAPH_WEBHOOK_INTERVAL_SECONDS": "0",
        "CLUBGRAPH_WEBHOOK_MAX_ATTEMPTS": "3",
        "CLUBGRAPH_WEBHOOK_BACKOFF_SECONDS": "0.5",
        "CLUBGRAPH_WEBHOOK_TIMEOUT_SECONDS": "2.5",
        "CLUBGRAPH_LIVE_CHECK_SECONDS": "2.5",
        "CLUBGRAPH_METRICS_TOKEN": "scrape-token-0123456789",
    }
    # when
    settings = load_settings(environ)
    # then
    assert settings == Settings(
        env="production",
        database_url="postgresql://club:pw@db.internal:5432/club",
        secret_key=SECRET,
        token_ttl_seconds=600,
        refresh_ttl_seconds=86400,
        host="0.0.0.0",
        port=9000,
        max_body_bytes=65536,
        log_level="warning",
        jobs_interval_seconds=0,
        reconcile_interval_seconds=5,
        redemption_grace_seconds=20,
        catalog_ttl_seconds=0,
        federation_sdl=True,
        persisted_only=False,
        rate_limit_per_second=5,
        rate_limit_burst=10,
        max_query_cost=2500,
        partner_cost_capacity=300,
        partner_cost_per_second=0.5,
        webhook_interval_seconds=0,
        webhook_max_attempts=3,
        webhook_backoff_seconds=0.5,
        webhook_timeout_seconds=2.5,
        live_check_seconds=2.5,
        metrics_token="scrape-token-0123456789",
    )
    assert settings.production is True


def test_empty_variables_fall_back_to_the_defaults():
    # when
    settings = load_settings({"DATABASE_URL": "", "CLUBGRAPH_SECRET_KEY": "", "CLUBGRAPH_PORT": ""})
    # then
    assert (settings.database_url, settings.secret_key, settings.port) == (
        Settings().database_url,
        DEFAULT_SECRET_KEY,
        8000,
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param(
            {"CLUBGRAPH_ENV": "production"},
            "CLUBGRAPH_SECRET_KEY must be set to a secret of your own in production",
            id="production without a secret",
        ),
        pytest.param(
            {"CLUBGRAPH_ENV": "production", "CLUBGRAPH_SECRET_KEY": DEFAULT_SECRET_KEY},
            "CLUBGRAPH_SECRET_KEY must be set to a secret of your own in production",
            id="production with the default secret",
        ),
        pytest.param(
            {"CLUBGRAPH_SECRET_KEY": "short"},
            "CLUBGRAPH_SECRET_KEY must be at least 32 characters long",
            id="short secret",
        ),
        pytest.param(
            {"CLUBGRAPH_ENV": "staging"},
            "CLUBGRAPH_ENV must be development, production or test, not 'staging'",
            id="unknown environment",
        ),
        pytest.param(
            {"CLUBGRAPH_ENV": "Production"},
            "CLUBGRAPH_ENV must be development, production or test, not 'Production'",
            id="environment in capitals",
        ),
        pytest.param(
            {"CLUBGRAPH_WEBHOOK_INTERVAL_SECONDS": "-1"},
            "CLUBGRAPH_WEBHOOK_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds",
            id="negative webhook interval",
        ),
        pytest.param(
            {"CLUBGRAPH_WEBHOOK_MAX_ATTEMPTS": "0"},
            "CLUBGRAPH_WEBHOOK_MAX_ATTEMPTS must be from 1 to 100, not 0",
            id="no webhook attempt at all",
        ),
        pytest.param(
            {"CLUBGRAPH_WEBHOOK_BACKOFF_SECONDS": "nan"},
            "CLUBGRAPH_WEBHOOK_BACKOFF_SECONDS must be a number of seconds above 0 and at most 3600",
            id="webhook backoff not a number",
        ),
        pytest.param(
            {"CLUBGRAPH_WEBHOOK_TIMEOUT_SECONDS": "0"},
            "CLUBGRAPH_WEBHOOK_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 60",
            id="webhook attempts without time to answer",
        ),
        pytest.param(
            {"CLUBGRAPH_LIVE_CHECK_SECONDS": "0"},
            "CLUBGRAPH_LIVE_CHECK_SECONDS must be a number of seconds above 0 and at most 3600",
            id="subscriptions never check their sign-in",
        ),
        pytest.param(
            {"CLUBGRAPH_MAX_QUERY_COST": "0"}, "CLUBGRAPH_MAX_QUERY_COST must be a positive number", id="no query cost"
        ),
        pytest.param(
            {"CLUBGRAPH_PARTNER_COST_CAPACITY": "-5"},
            "CLUBGRAPH_PARTNER_COST_CAPACITY must be a positive number",
            id="negative partner budget",
        ),
        pytest.param(
            {"CLUBGRAPH_PARTNER_COST_PER_SECOND": "0"},
            "CLUBGRAPH_PARTNER_COST_PER_SECOND must be a positive number: a budget that never refills locks a partner out",
            id="partner budget that never refills",
        ),
        pytest.param(
            {"CLUBGRAPH_PARTNER_COST_PER_SECOND": "fast"},
            "CLUBGRAPH_PARTNER_COST_PER_SECOND must be a number, not 'fast'",
            id="partner refill not a number",
        ),
        pytest.param(
            {"CLUBGRAPH_PORT": "eighty"},
            "CLUBGRAPH_PORT must be a whole number, not 'eighty'",
            id="port not a number",
        ),
        pytest.param(
            {"CLUBGRAPH_TOKEN_TTL_SECONDS": "1h"},
            "CLUBGRAPH_TOKEN_TTL_SECONDS must be a whole number, not '1h'",
            id="ttl with a unit",
        ),
        pytest.param(
            {"CLUBGRAPH_MAX_BODY_BYTES": "1e6"},
            "CLUBGRAPH_MAX_BODY_BYTES must be a whole number, not '1e6'",
            id="body limit in scientific notation",
        ),
        pytest.param(
            {"CLUBGRAPH_TOKEN_TTL_SECONDS": "0"},
            "CLUBGRAPH_TOKEN_TTL_SECONDS must be a positive number of seconds",
            id="ttl zero",
        ),
        pytest.param(
            {"CLUBGRAPH_TOKEN_TTL_SECONDS": "900", "CLUBGRAPH_REFRESH_TTL_SECONDS": "600"},
            "CLUBGRAPH_REFRESH_TTL_SECONDS must be at least CLUBGRAPH_TOKEN_TTL_SECONDS (900): no access token "
            "outlives its sign-in, not 600",
            id="refresh ttl shorter than the access token's",
        ),
        pytest.param(
            {"CLUBGRAPH_REFRESH_TTL_SECONDS": "30d"},
            "CLUBGRAPH_REFRESH_TTL_SECONDS must be a whole number, not '30d'",
            id="refresh ttl with a unit",
        ),
        pytest.param(
            {"CLUBGRAPH_RATE_LIMIT_PER_SECOND": "-1"},
            "CLUBGRAPH_RATE_LIMIT_PER_SECOND must be 0 (off) or a positive number of requests",
            id="negative rate limit",
        ),
        pytest.param(
            {"CLUBGRAPH_RATE_LIMIT_PER_SECOND": "2.5"},
            "CLUBGRAPH_RATE_LIMIT_PER_SECOND must be a whole number, not '2.5'",
            id="rate limit not a whole number",
        ),
        pytest.param(
            {"CLUBGRAPH_RATE_LIMIT_BURST": "0"},
            "CLUBGRAPH_RATE_LIMIT_BURST must be a positive number of requests",
            id="burst zero",
        ),
        pytest.param(
            {"CLUBGRAPH_MAX_BODY_BYTES": "0"},
            "CLUBGRAPH_MAX_BODY_BYTES must be a positive number of bytes",
            id="body limit zero",
        ),
        pytest.param(
            {"CLUBGRAPH_PORT": "70000"},
            "CLUBGRAPH_PORT must be between 1 and 65535, not 70000",
            id="port out of range",
        ),
        pytest.param(
            {"CLUBGRAPH_LOG_LEVEL": "loud"},
            "CLUBGRAPH_LOG_LEVEL must be one of critical, error, warning, info, debug, not 'loud'",
            id="unknown log level",
        ),
        pytest.param(
            {"CLUBGRAPH_JOBS_INTERVAL_SECONDS": "-1"},
            "CLUBGRAPH_JOBS_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds",
            id="negative jobs interval",
        ),
        pytest.param(
            {"CLUBGRAPH_JOBS_INTERVAL_SECONDS": "1h"},
            "CLUBGRAPH_JOBS_INTERVAL_SECONDS must be a whole number, not '1h'",
            id="jobs interval with a unit",
        ),
        pytest.param(
            {"CLUBGRAPH_RECONCILE_INTERVAL_SECONDS": "-5"},
            "CLUBGRAPH_RECONCILE_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds",
            id="negative reconcile interval",
        ),
        pytest.param(
            {"CLUBGRAPH_REDEMPTION_GRACE_SECONDS": "-1"},
            "CLUBGRAPH_REDEMPTION_GRACE_SECONDS must be at least 8 seconds, the partner issue deadline plus the "
            "status lookup's (5 + 3 s): a shorter grace lets reconciliation cancel a reward its request is still "
            "waiting for, not -1",
            id="negative redemption grace",
        ),
        pytest.param(
            {"CLUBGRAPH_REDEMPTION_GRACE_SECONDS": "7"},
            "CLUBGRAPH_REDEMPTION_GRACE_SECONDS must be at least 8 seconds, the partner issue deadline plus the "
            "status lookup's (5 + 3 s): a shorter grace lets reconciliation cancel a reward its request is still "
            "waiting for, not 7",
            id="redemption grace shorter than an issue and a status lookup",
        ),
        pytest.param(
            {"CLUBGRAPH_CATALOG_TTL_SECONDS": "1m"},
            "CLUBGRAPH_CATALOG_TTL_SECONDS must be a whole number, not '1m'",
            id="catalog ttl with a unit",
        ),
        pytest.param(
            {"CLUBGRAPH_FEDERATION_SDL": "yes"},
            "CLUBGRAPH_FEDERATION_SDL must be 1 or true (on), 0 or false (off), not 'yes'",
            id="federation sdl neither on nor off",
        ),
        pytest.param(
            {"CLUBGRAPH_METRICS_TOKEN": "short-token"},
            "CLUBGRAPH_METRICS_TOKEN must be at least 16 characters long, or empty (private addresses only)",
            id="short metrics token",
        ),
        pytest.param(
            {"DATABASE_URL": "mysql://club@localhost/club"},
            "DATABASE_URL must be a sqlite:// or postgres:// URL",
            id="unsupported database",
        ),
        pytest.param(
            {"DATABASE_URL": "/var/lib/clubgraph/club.sqlite3"},
            "DATABASE_URL must be a sqlite:// or postgres:// URL",
            id="database path without a scheme",
        ),
    ],
)
def test_unfit_settings_are_refused_with_a_message_naming_the_variable(environ, message):
    # when
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    # then
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("raw", "on"), [("1", True), ("true", True), ("TRUE", True), ("0", False), ("false", False), ("", False)]
)
def test_the_federation_sdl_switch_reads_one_and_true_as_on(raw, on):
    # when
    settings = load_settings({"CLUBGRAPH_FEDERATION_SDL": raw})
    # then
    assert settings.federation_sdl is on


@pytest.mark.parametrize("url", ["sqlite://:memory:", "postgres://club@db/club", "postgresql://club@db/club"])
def test_supported_database_urls_are_accepted(url):
    # when
    settings = load_settings({"DATABASE_URL": url})
    # then
    assert settings.database_url == url
