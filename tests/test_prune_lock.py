"""A prune pass killed at any moment blocks the next one for at most a minute, and the next
pass finishes its work, files included."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time

from PIL import Image

from leftbook.database.models import File, Thread
from leftbook.retention import prune as retention

DAY = 86400
HOLD_AND_WAIT = textwrap.dedent("""
    import sys, time
    from leftbook import create_app
    from leftbook.database import database
    from leftbook.retention.lock import prune_lock
    app = create_app({"LEFTBOOK_DATA_DIR": sys.argv[1], "LEFTBOOK_TOR": "off",
                      **({"LEFTBOOK_DATABASE_URL": sys.argv[2]} if len(sys.argv) > 2 else {})})
    with app.app_context(), database.connection_context(), prune_lock() as lock:
        assert lock is not None
        print("holding", flush=True)
        time.sleep(600)
""")


def picture() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return {"file": (io.BytesIO(out.getvalue()), "x.png")}


def test_a_pass_killed_while_holding_the_lock_does_not_block_the_next(
        app, new_thread, frozen_clock):
    settings = app.config["SETTINGS"]
    now = int(time.time())  # the killed holder stamps its lock with the real clock
    frozen_clock(now - 61 * DAY)
    new_thread("soc", body="old thread", **picture())
    frozen_clock(now + 5)
    args = [str(settings.data_dir)]
    if not settings.database_url.startswith("sqlite"):
        args.append(settings.database_url)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_WAIT, *args],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
    with app.app_context():
        counts = retention.prune(app.config["BOARDS"], app.config["STORE"])
        assert counts.get("skipped") is None and counts["threads"] == 1 and counts["files"] == 1
        assert Thread.select().count() == 0 and File.select().count() == 0
    assert [p for p in app.config["STORE"].root.rglob("*") if p.is_file()] == []
