"""A TEST SWITCH: kill the server process at one step of a redemption, to prove the saga survives it.

`CLUBGRAPH_FAULT=crash_after_hold` (or `crash_after_issue`, `crash_after_capture`) makes the process
that reaches that step send itself SIGKILL, as a power cut or an OOM kill would: no `finally`, no
rollback of what was committed, no answer to the client. The crash tests
(tests/test_redemption_crash.py) start a real server with it, then restart one without it and
check that reconciliation settles every redemption exactly once.

Never for production: the switch is ignored (with a warning) when CLUBGRAPH_ENV is production.
"""

from __future__ import annotations

import logging
import os
import signal

logger = logging.getLogger("clubgraph.faults")

ENV = "CLUBGRAPH_FAULT"
CRASH_AFTER_HOLD = "crash_after_hold"  # the hold and the pending redemption are committed, the partner not asked
CRASH_AFTER_ISSUE = "crash_after_issue"  # the partner issued the reward, the club has not captured yet
CRASH_AFTER_CAPTURE = "crash_after_capture"  # completed and captured, the client not answered
POINTS = frozenset({CRASH_AFTER_HOLD, CRASH_AFTER_ISSUE, CRASH_AFTER_CAPTURE})


def _armed() -> str | None:
    fault = os.environ.get(ENV, "").strip()
    if not fault:
        return None
    if os.environ.get("CLUBGRAPH_ENV") == "production":
        logger.warning("%s=%s ignored: fault injection is a test switch, never for production", ENV, fault)
        return None
    if fault not in POINTS:
        logger.warning("%s=%s ignored: use one of %s", ENV, fault, ", ".join(sorted(POINTS)))
        return None
    return fault


def crash_point(name: str) -> None:
    """Die here, now, with SIGKILL, when the fault switch names this step (tests only)."""
    assert name in POINTS, name
    if _armed() == name:
        logger.warning("fault injection: %s, killing process %s", name, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)
