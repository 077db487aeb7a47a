"""One connection to waitress, timed: how long it has waited, and whether it is past a deadline.

waitress reads requests on its main loop and only hands complete ones to worker threads, so
a slow client costs no thread; it costs a connection slot. These classes time each
connection so that the server (`leftbook.serving.guard`) can close the ones past a deadline
and, when the connection budget is full, the ones that have wasted the longest.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError, TransferEncodingNotImplemented
from waitress.task import WSGITask


@dataclass(frozen=True)
class Limits:
    """Deadlines and the connection budget (seconds, bytes per second, connections).

    Behind Tor the first byte of a request arrives one circuit round trip (0.5-3 s) after
    the stream opens, and a request head fits in one to three cells, so it is complete
    within a few seconds; uploads run at tens of KB/s or more.
    """

    budget: int = 1000
    """Connections held open before the most idle or slowest make room for a new one.

    An attacker's stream can reopen only once per round trip of its circuit (RTT), so with
    S hostile streams a slot lives about budget x RTT / (S - budget); a Tor reader's first
    byte arrives one RTT of its own circuit after its connection, so with similar circuits
    it is safe while S < 2 x budget (2000 streams: 100 circuits at MaxStreams 20); an
    attacker with faster circuits needs fewer, one on loopback (no RTT) just S > budget
    (readers that send at once are still served). Costs: descriptors (guard.fit_budget),
    about 100 KB of request buffers each at most (guard.MEMORY_BOUNDS), and the loop polls
    every connection on each wake-up (7% of a CPU with 900 connections trickling a byte a
    second each)."""
    idle_timeout: float = 15.0
    """A connection with no request under way (new, or kept alive after a response)."""
    header_timeout: float = 10.0
    """The whole request head (request line and headers), from its first byte."""
    body_grace: float = 10.0
    """Seconds after the head during which a body may arrive at any rate..."""
    body_min_rate: float = 1024.0
    """...after which the body so far must amount to this many bytes for every second
    since the grace ended (each KB buys a second, as Apache's mod_reqtimeout)..."""
    body_stall: float = 30.0
    """...and never pause longer than this."""
    send_stall: float = 30.0
    """A response that the client stops reading: seconds without a byte sent."""
    good_body_rate: float = 16 * 1024.0
    """Eviction only: a body arriving at least this fast is not counted as waste."""


class StrictParser(HTTPRequestParser):
    """waitress's parser, but a transfer coding it cannot decode is a 400, not a 501.

    `Transfer-Encoding: gzip, chunked` (or any coding except chunked) would need a
    decompressor in front of the application; a client error says so plainly. A
    Transfer-Encoding header in an HTTP/1.0 request makes the framing ambiguous
    (RFC 9112, 6.1): refused too, rather than trusting Content-Length.
    """

    def parse_header(self, header_plus: bytes) -> None:
        try:
            super().parse_header(header_plus)
        except TransferEncodingNotImplemented as exc:
            raise ParsingError(
                "Transfer-Encoding other than chunked is not supported: send the body "
                "unencoded, with Content-Length or Transfer-Encoding: chunked."
            ) from exc
        if "TRANSFER_ENCODING" in self.headers:  # waitress keeps it only for HTTP/1.0
            raise ParsingError("Transfer-Encoding is not allowed in an HTTP/1.0 request.")


class KeepAliveTask(WSGITask):
    """waitress closes the connection after any answer that has no body and so no
    Content-Length (every 304 Not Modified): HTTP/1.1 knows where such an answer ends, so
    the connection is kept. A revalidated page then costs no new connection (over Tor, a
    new stream to the onion service: a round trip through the circuit)."""

    keep_bodiless = False

    def build_response_header(self) -> bytes:
        self.keep_bodiless = (not self.has_body and self.version == "1.1" and
                              self.request.headers.get("CONNECTION", "").lower() != "close")
        try:
            return super().build_response_header()
        finally:
            self.keep_bodiless = False

    def set_close_on_finish(self) -> None:
        if not self.keep_bodiless:
            super().set_close_on_finish()


class TimedChannel(HTTPChannel):
    """An HTTPChannel that knows when its current request began and how fast it arrives.

    Every attribute here is written by the main loop, except `progress_at`, which worker
    threads also set after writing (a float assignment: no lock needed).
    """

    parser_class = StrictParser
    task_class = KeepAliveTask
    doomed = False
    """Chosen for eviction: neither read nor written again; the server closes it."""
    accepted_round = 0
    """The server's loop iteration that accepted it."""

    def __init__(self, server: Any, sock: socket.socket, addr: tuple, adj: Adjustments,
                 map: dict | None = None) -> None:
        now = time.monotonic()
        self.progress_at = now  # accepted, a byte in or out, or a response finished
        self.request_started: float | None = None  # first byte of the request under way
        self.body_started: float | None = None  # its head complete
        self.body_at = now  # its last body byte
        self._timed: HTTPRequestParser | None = None
        super().__init__(server, sock, addr, adj, map)

    def received(self, data: bytes) -> bool:
        now = time.monotonic()
        self.progress_at = now
        result = super().received(data)
        partial = self.request
        if partial is not self._timed:  # a new request began (or the last one completed)
            self._timed = partial
            self.request_started = now if partial is not None else None
            self.body_started = None
        if partial is not None and partial.headers_finished:
            if self.body_started is None:
                self.body_started = now
            self.body_at = now
        return result

    def _flush_some(self, do_close: bool = True) -> bool:
        sent = super()._flush_some(do_close=do_close)
        if sent:
            self.progress_at = time.monotonic()
        return sent

    def service(self) -> None:
        super().service()
        self.progress_at = time.monotonic()

    def readable(self) -> bool:
        return not self.doomed and super().readable()

    def writable(self) -> bool:
        return not self.doomed and super().writable()

    def assess(self, now: float, limits: Limits) -> tuple[bool, float | None]:
        """(past a deadline?, seconds wasted), the latter None while a request is served.

        Seconds wasted rank connections for eviction: how long an idle connection has
        been idle, a request head has been arriving, or a response has stalled; for a
        body, the time taken minus the time it would have taken at `good_body_rate`.
        """
        quiet = now - self.progress_at
        if self.requests:  # a worker serves it: never evicted; closed if the reader stalls
            return bool(self.total_outbufs_len) and quiet > limits.send_stall, None
        if self.total_outbufs_len:
            return quiet > limits.send_stall, quiet
        partial, started = self.request, self.request_started
        if partial is None or started is None:
            return quiet > limits.idle_timeout, quiet
        taken = now - started
        if self.body_started is None:
            return taken > limits.header_timeout, taken
        received = partial.body_bytes_received
        late = now - self.body_started - limits.body_grace
        too_slow = late > 0 and received < late * limits.body_min_rate
        stalled = now - self.body_at > limits.body_stall
        return too_slow or stalled, taken - received / limits.good_body_rate
