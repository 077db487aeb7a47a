"""waitress's TCP server, guarded against idle, slowloris and slow-body floods.

Plain waitress keeps a connection until `channel_timeout` passes with no byte at all (so a
byte every few seconds keeps it forever) and, at `connection_limit`, stops accepting: new
connections then wait in the kernel's backlog until an old one times out. Here instead:

- every connection is checked against the deadlines of `Limits` four times a second and
  closed when past one (idle, request head, body rate, stalled response);
- new connections are always accepted; when more than `Limits.budget` are open, the ones
  that have wasted the longest (see `TimedChannel.assess`) are closed to make room.
  Connections whose request a worker is serving are never evicted;
- the loop uses poll(), not select(), so descriptors above 1024 work;
- reads are served before posts (dispatch.py), so a posting flood does not queue readers.

Behind Tor every client is 127.0.0.1, so nothing here can tell clients apart: fairness
comes from evicting the most wasteful connections, not from per-client counts.
"""

from __future__ import annotations

import heapq
import resource
import time
from collections.abc import Callable
from dataclasses import replace
from operator import itemgetter

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.server import TcpWSGIServer

from leftbook.serving.channels import Limits, TimedChannel
from leftbook.serving.dispatch import start_dispatcher

ACCEPT_BATCH = 64
"""Connections accepted per wake-up (waitress accepts one), so a backlog drains quickly."""
ACCEPT_PAUSE = 0.1
"""Seconds without accepting after accept() failed (out of descriptors), not to spin."""
CHECK_INTERVAL = 0.25
"""Seconds between deadline checks of every connection."""
FDS_PER_CONNECTION = 3
"""A socket, plus a temporary file each for a large request body and a large response."""
FD_RESERVE = 256
"""Descriptors kept for the database, stored files, tor's control connection, logs."""
BACKLOG = 4096
"""Connections the kernel queues until accepted (it caps this at net.core.somaxconn, 4096 by
default since Linux 5.4); a full queue drops the SYN and the client retries only after 1 s."""
MEMORY_BOUNDS = {"max_request_header_size": 32 * 1024, "inbuf_overflow": 64 * 1024}
"""Per connection, in memory: the request head (waitress allows 256 KB: 431 above this;
a Tor Browser request is 1-2 KB), and the part of a body kept in memory before it goes to
a temporary file (waitress keeps 512 KB: a full budget of bodies would be 512 MB)."""
REPORT_INTERVAL = 60.0
"""At most one log line a minute about closed and evicted connections."""


class GuardedServer(TcpWSGIServer):
    """A waitress TcpWSGIServer (one listening socket) with deadlines and eviction."""

    channel_class = TimedChannel

    def __init__(self, application: Callable, limits: Limits, **adjustments: object) -> None:
        self.limits = limits
        self.slack = max(1, limits.budget // 20)
        self.hard_cap = limits.budget + max(1, limits.budget // 4)
        self.doomed: list[TimedChannel] = []
        self.round = 0  # loop iterations: a connection accepted in this one is not evicted
        self.next_check = 0.0
        self.paused_until = 0.0
        self.closed = {"past a deadline": 0, "evicted": 0, "accept() failures": 0}
        self.next_report = time.monotonic() + REPORT_INTERVAL
        adjustments = {"connection_limit": limits.budget, "backlog": BACKLOG,
                       **MEMORY_BOUNDS, **adjustments}
        adj = Adjustments(**adjustments)
        super().__init__(application, map={}, adj=adj,
                         dispatcher=start_dispatcher(adj.threads))

    @property
    def live(self) -> int:
        """Open connections not yet chosen for eviction."""
        return len(self.active_channels) - len(self.doomed)

    def run(self) -> None:
        """waitress's loop, with housekeeping before each poll (so that closing never
        reuses a descriptor whose events the current poll still holds)."""
        try:
            while self._map:
                self.round += 1
                self.housekeeping(time.monotonic())
                wasyncore.poll2(self.adj.asyncore_loop_timeout, self._map)
        except (SystemExit, KeyboardInterrupt):
            self.task_dispatcher.shutdown()

    def readable(self) -> bool:
        # Only when every connection is being served (none can be evicted) does the
        # server stop accepting for a moment, as waitress does at its connection_limit.
        return (self.accepting and self.live < self.hard_cap
                and time.monotonic() >= self.paused_until)

    def handle_accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                pair = self.accept()
            except OSError:  # out of descriptors (EMFILE, ENFILE) or memory: make some
                self.closed["accept() failures"] += 1
                self.evict(self.slack)
                self.paused_until = time.monotonic() + ACCEPT_PAUSE
                return
            if pair is None:
                break
            conn, addr = pair
            try:
                self.set_socket_options(conn)
            except OSError:  # the client has gone already
                conn.close()
                continue
            channel = self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)
            channel.accepted_round = self.round
            if self.live > self.limits.budget:
                self.make_room()
            if self.live >= self.hard_cap:
                break

    def make_room(self) -> None:
        """Evict down to the budget less some slack (so that the scan runs once per
        `slack` new connections, not per each)."""
        excess = self.live - self.limits.budget
        if excess > 0:
            self.evict(excess + self.slack)

    def evict(self, count: int) -> None:
        """Choose the `count` connections that wasted the longest; they are closed before
        the next poll. Connections accepted in this round are spared: each is read once."""
        now, limits = time.monotonic(), self.limits
        scored = []
        for channel in self.active_channels.values():
            if not channel.doomed and channel.accepted_round != self.round:
                wasted = channel.assess(now, limits)[1]
                if wasted is not None:
                    scored.append((wasted, channel))
        for _, channel in heapq.nlargest(count, scored, key=itemgetter(0)):
            channel.doomed = channel.will_close = True
            self.doomed.append(channel)
            self.closed["evicted"] += 1

    def housekeeping(self, now: float) -> None:
        """Close the evicted connections; every CHECK_INTERVAL, those past a deadline."""
        for channel in self.doomed:
            channel.handle_close()
        self.doomed.clear()
        if now < self.next_check:
            return
        self.next_check = now + CHECK_INTERVAL
        for channel in list(self.active_channels.values()):
            if channel.assess(now, self.limits)[0]:
                channel.handle_close()
                self.closed["past a deadline"] += 1
        if now >= self.next_report:
            self.next_report = now + REPORT_INTERVAL
            if any(self.closed.values()):
                counts = ", ".join(f"{n} {why}" for why, n in self.closed.items())
                self.logger.warning("connections in the last minute: %s (budget %d)",
                                    counts, self.limits.budget)
                self.closed = dict.fromkeys(self.closed, 0)


def fit_budget(limits: Limits) -> tuple[Limits, str | None]:
    """Raise the soft open-files limit so that the budget fits under it; if the hard limit
    is too low for that, shrink the budget and return a warning saying so."""
    wanted = limits.budget * FDS_PER_CONNECTION + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return limits, None
    raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    except (ValueError, OSError):
        pass
    if soft >= wanted:
        return limits, None
    budget = max(16, (soft - FD_RESERVE) // FDS_PER_CONNECTION)
    return replace(limits, budget=budget), (
        f"WARNING: the open-files limit ({soft}, hard {hard}) allows only {budget} "
        f"connections, not {limits.budget}: raise it (`ulimit -n {wanted}`, or "
        f"LimitNOFILE={wanted} in a systemd unit)."
    )
