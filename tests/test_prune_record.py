"""Prune passes leave a record for `leftbook status`: when, how long, how many of what (never
content); a pass that did not finish leaves a mark; whether the lock is held can be read."""

import threading

import pytest

from leftbook.database import database
from leftbook.database.models import Setting
from leftbook.retention import prune as retention
from leftbook.retention import record
from leftbook.retention import threads as retention_threads
from leftbook.retention.lock import lock_held, prune_lock

T0 = 1_800_000_000
DAY = 86400


def run_prune(app, **options) -> dict[str, int]:
    with app.app_context():
        return retention.prune(app.config["BOARDS"], app.config["STORE"], **options)


def test_a_finished_pass_is_recorded_with_its_counts(app, new_thread, frozen_clock):
    frozen_clock(T0)
    new_thread("soc", body="a secret opening post")
    frozen_clock(T0 + 31 * DAY)
    with app.app_context():
        assert record.last_pass() is None
    counts = run_prune(app)
    with app.app_context():
        last = record.last_pass()
        assert record.running_since() is None
        stored = Setting.get(Setting.key == record.LAST_KEY).value
    assert last.started == T0 + 31 * DAY and 0 <= last.seconds < 60
    assert last.removed == counts and last.removed["threads"] == 1
    assert "secret" not in stored


def test_dry_runs_and_skipped_passes_record_nothing(app, new_thread, frozen_clock):
    frozen_clock(T0)
    new_thread("soc")
    frozen_clock(T0 + 31 * DAY)
    assert run_prune(app, dry_run=True)["threads"] == 1
    with app.app_context(), prune_lock() as held:
        assert held is not None
        assert run_prune(app) == {"skipped": 1}
    with app.app_context():
        assert record.last_pass() is None and record.running_since() is None


def test_a_pass_that_fails_leaves_its_mark_until_a_pass_finishes(
        app, new_thread, frozen_clock, monkeypatch):
    frozen_clock(T0)
    new_thread("soc")
    frozen_clock(T0 + 31 * DAY)

    real_delete = retention_threads.delete_threads

    def fail(_ids):
        raise RuntimeError("disk error")

    monkeypatch.setattr(retention_threads, "delete_threads", fail)
    with pytest.raises(RuntimeError):
        run_prune(app)
    with app.app_context():
        assert record.running_since() == T0 + 31 * DAY
        assert record.last_pass() is None
        assert not lock_held()
    monkeypatch.setattr(retention_threads, "delete_threads", real_delete)
    frozen_clock(T0 + 32 * DAY)
    run_prune(app)
    with app.app_context():
        assert record.running_since() is None
        assert record.last_pass().started == T0 + 32 * DAY


def test_a_pass_asked_to_stop_clears_its_mark(app, new_thread, frozen_clock):
    frozen_clock(T0)
    new_thread("soc")
    stop = threading.Event()
    stop.set()
    with pytest.raises(retention.PruneStopped):
        run_prune(app, stop=stop)
    with app.app_context():
        assert record.running_since() is None and record.last_pass() is None


def test_the_lock_is_seen_held_while_a_pass_holds_it(app):
    with app.app_context(), database.connection_context():
        assert not lock_held()
        with prune_lock() as held:
            assert held is not None
            assert lock_held()
        assert not lock_held()


def test_the_record_fits_a_setting_value_with_huge_counts(app):
    huge = {key: 10**10 - 1 for key in record.COUNT_KEYS}
    with app.app_context(), database.connection_context():
        record.record_pass(T0, 12345.678, huge)
        value = Setting.get(Setting.key == record.LAST_KEY).value
        assert record.last_pass() == record.PassRecord(T0, 12345.7, huge)
    assert len(value) <= Setting.value.max_length
