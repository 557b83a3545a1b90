"""The reference partner's own store: a small SQLite file, so that issued rewards survive a crash.

Every change is one transaction, committed before the server answers: a reward that was issued is
on disk even if the process dies before the club hears back, which is what the club's status
lookup relies on. Stock moves once per redemptionId because the reward row and the stock update
commit together.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from partners.catalogs import CatalogItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stock (item_id TEXT PRIMARY KEY, remaining INTEGER);
CREATE TABLE IF NOT EXISTS rewards (
    redemption_id TEXT PRIMARY KEY,
    request_hash TEXT,
    item_id TEXT,
    quantity INTEGER,
    member_reference TEXT,
    status TEXT NOT NULL,
    voucher_code TEXT,
    fulfilment_id TEXT,
    issued_at TEXT,
    expires_at TEXT,
    cancelled_at TEXT
);
"""


class Refusal(Exception):
    """A definitive refusal: nothing was issued. Carries the protocol's HTTP status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Issued:
    reward: dict
    created: bool  # False when the redemptionId had been issued before and this is the same answer


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def request_hash(item_id: str, quantity: int, member_reference: str) -> str:
    """What makes two issue requests "the same": a repeat must carry the same item, quantity and member."""
    canonical = json.dumps([item_id, quantity, member_reference], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class PartnerStore:
    def __init__(self, path: Path, catalog: tuple[CatalogItem, ...], *, code_prefix: str) -> None:
        self.items = {item.id: item for item in catalog}
        self.code_prefix = code_prefix
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open our own transactions, so nothing commits behind our back.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.executemany(
            "INSERT OR IGNORE INTO stock (item_id, remaining) VALUES (?, ?)",
            [(item.id, item.stock) for item in catalog],
        )

    def close(self) -> None:
        self._db.close()

    def remaining(self) -> dict[str, int | None]:
        return {row["item_id"]: row["remaining"] for row in self._db.execute("SELECT * FROM stock")}

    def catalog(self) -> list[dict]:
        remaining = self.remaining()
        return [item.as_json(remaining.get(item.id, item.stock)) for item in self.items.values()]

    def get(self, redemption_id: str) -> dict | None:
        row = self._db.execute("SELECT * FROM rewards WHERE redemption_id = ?", (redemption_id,)).fetchone()
        return None if row is None else self._reward(row)

    def issue(self, *, redemption_id: str, item_id: str, quantity: int, member_reference: str,
              now: datetime) -> Issued:
        fingerprint = request_hash(item_id, quantity, member_reference)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT * FROM rewards WHERE redemption_id = ?", (redemption_id,)).fetchone()
            if row is not None:
                self._db.execute("ROLLBACK")
                return self._repeat(row, fingerprint)
            item = self.items.get(item_id)
            if item is None:
                raise Refusal(422, "UNKNOWN_ITEM", f"There is no item {item_id!r} in our catalog")
            moved = self._db.execute(
                "UPDATE stock SET remaining = remaining - ? WHERE item_id = ? AND remaining >= ?",
                (quantity, item_id, quantity),
            ).rowcount
            unlimited = self._db.execute(
                "SELECT remaining IS NULL FROM stock WHERE item_id = ?", (item_id,)).fetchone()[0]
            if not moved and not unlimited:
                raise Refusal(409, "OUT_OF_STOCK", f"Not enough {item.title!r} left for {quantity}")
            # 64 random bits: codes stay unique per partner while valid (protocol 5.2) without a lookup.
            token = secrets.token_hex(8).upper()
            voucher = f"{self.code_prefix}-{token[:4]}-{token[4:8]}-{token[8:12]}-{token[12:]}" if item.delivery == "voucher" else None
            fulfilment = f"{self.code_prefix}-F{secrets.token_hex(8).upper()}" if item.delivery != "voucher" else None
            self._db.execute(
                "INSERT INTO rewards (redemption_id, request_hash, item_id, quantity, member_reference, status,"
                " voucher_code, fulfilment_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, 'issued', ?, ?, ?, ?)",
                (redemption_id, fingerprint, item_id, quantity, member_reference, voucher, fulfilment,
                 _iso(now), _iso(now + timedelta(days=item.validity_days))),
            )
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return Issued(reward=self.get(redemption_id), created=True)

    def _repeat(self, row: sqlite3.Row, fingerprint: str) -> Issued:
        if row["status"] == "cancelled":
            raise Refusal(409, "REDEMPTION_CANCELLED",
                          f"Redemption {row['redemption_id']!r} was cancelled: it cannot be issued again")
        if row["request_hash"] != fingerprint:
            raise Refusal(409, "IDEMPOTENCY_CONFLICT",
                          f"Redemption {row['redemption_id']!r} was issued with another item, quantity or member")
        return Issued(reward=self._reward(row), created=False)

    def cancel(self, redemption_id: str, *, now: datetime) -> dict:
        """Cancel once: stock comes back the first time only; an unknown id is fenced off for good."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT * FROM rewards WHERE redemption_id = ?", (redemption_id,)).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO rewards (redemption_id, status, cancelled_at) VALUES (?, 'cancelled', ?)",
                    (redemption_id, _iso(now)))
            elif row["status"] == "issued":
                self._db.execute("UPDATE rewards SET status = 'cancelled', cancelled_at = ? WHERE redemption_id = ?",
                                 (_iso(now), redemption_id))
                self._db.execute("UPDATE stock SET remaining = remaining + ? WHERE item_id = ?",
                                 (row["quantity"], row["item_id"]))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return self.get(redemption_id)

    @staticmethod
    def _reward(row: sqlite3.Row) -> dict:
        return {
            "redemptionId": row["redemption_id"],
            "status": row["status"],
            "itemId": row["item_id"],
            "quantity": row["quantity"],
            "voucherCode": row["voucher_code"],
            "fulfilmentId": row["fulfilment_id"],
            "issuedAt": row["issued_at"],
            "expiresAt": row["expires_at"],
            "cancelledAt": row["cancelled_at"],
        }
