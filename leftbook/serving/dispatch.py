"""waitress's worker threads, with reads served first.

waitress serves requests in arrival order on its threads. Under a posting flood that puts
every reader behind the posters, and the posts running at once share the interpreter lock
with the one read that gets a thread. Here each request waits in the queue of its lane,
and the threads serve the lanes in order:

- reads (GET, HEAD): first, on any thread (most are answered from the page cache in well
  under a millisecond);
- small writes (a text post, a deletion, a report): one at a time, so that a flood of them
  holds the interpreter lock beside a read for one request's time at most; they queue on
  SQLite's write lock one at a time anyway, and each is a millisecond or so of work;
- large writes (uploads, whose cleaning runs in worker processes for up to seconds): up to
  `bulk` at once, beside the small ones.
"""

from collections import deque
from dataclasses import dataclass, field

from waitress.task import ThreadedTaskDispatcher

READS = frozenset({"GET", "HEAD"})
# bytes: a text post's form (8 000 characters, multipart) stays below it, and so does little
# else: any body larger carries a file, whose cleaning can take the media workers seconds,
# and must not hold up the text posts queued behind it
SMALL_BODY = 32 * 1024


@dataclass
class Lane:
    limit: int
    waiting: deque = field(default_factory=deque)
    running: int = 0


def lane_of(channel) -> str:
    requests = getattr(channel, "requests", None)
    request = requests[0] if requests else None
    if request is None or getattr(request, "command", "") in READS:
        return "read"
    return "write" if getattr(request, "content_length", 0) <= SMALL_BODY else "bulk"


class ReadsFirstDispatcher(ThreadedTaskDispatcher):
    def __init__(self, threads: int, bulk: int) -> None:
        super().__init__()
        self.lanes = {"read": Lane(threads), "write": Lane(1), "bulk": Lane(max(1, bulk))}
        self.queue = self.lanes["read"].waiting  # what waitress itself looks at

    def add_task(self, task) -> None:
        with self.lock:
            self.lanes[lane_of(task)].waiting.append(task)
            self.queue_cv.notify()

    def _next(self) -> tuple[object, Lane] | None:
        """A task this thread may take now, and its lane (call with the lock held)."""
        for lane in self.lanes.values():
            if lane.waiting and lane.running < lane.limit:
                lane.running += 1
                return lane.waiting.popleft(), lane
        return None

    def handler_thread(self, thread_no: int) -> None:
        while True:
            with self.lock:
                taken = self._next()
                while taken is None and self.stop_count == 0:
                    self.active_count -= 1
                    self.queue_cv.wait()
                    self.active_count += 1
                    taken = self._next()
                if taken is None:  # told to stop, and nothing taken
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    break
            task, lane = taken
            try:
                task.service()
            except BaseException:
                self.logger.exception("Exception when servicing %r", task)
            finally:
                with self.lock:
                    lane.running -= 1
                    self.queue_cv.notify()

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        stopped = super().shutdown(cancel_pending, timeout)
        if cancel_pending:
            with self.lock:
                for lane in self.lanes.values():
                    while lane.waiting:
                        lane.waiting.popleft().cancel()
        return stopped


def start_dispatcher(threads: int) -> ReadsFirstDispatcher:
    dispatcher = ReadsFirstDispatcher(threads, bulk=threads // 2)
    dispatcher.set_thread_count(threads)
    return dispatcher
