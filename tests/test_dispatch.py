"""The server's threads take reads first, one small write at a time, a few uploads."""

from types import SimpleNamespace

from leftbook.serving.dispatch import SMALL_BODY, ReadsFirstDispatcher, lane_of


def channel(command: str, length: int = 0):
    return SimpleNamespace(requests=[SimpleNamespace(command=command, content_length=length)])


def test_lanes():
    assert lane_of(channel("GET")) == lane_of(channel("HEAD")) == "read"
    assert lane_of(channel("POST", 900)) == "write"
    assert lane_of(channel("POST", SMALL_BODY + 1)) == "bulk"
    assert lane_of(SimpleNamespace(requests=[])) == "read"


def test_reads_go_first_and_writes_one_at_a_time():
    dispatcher = ReadsFirstDispatcher(threads=8, bulk=2)  # no thread started
    post1, post2 = channel("POST", 10), channel("POST", 10)
    up1, up2, up3 = (channel("POST", SMALL_BODY * 4) for _ in range(3))
    read1, read2 = channel("GET"), channel("GET")
    for task in (post1, post2, up1, read1, up2, up3, read2):
        dispatcher.add_task(task)
    with dispatcher.lock:
        taken = [dispatcher._next() for _ in range(7)]
    assert [t[0] for t in taken if t] == [read1, read2, post1, up1, up2]
    assert taken[-2:] == [None, None], "a second write and a third upload wait"
    write_lane = dispatcher.lanes["write"]
    with dispatcher.lock:
        write_lane.running -= 1  # the first post is done
        assert dispatcher._next() == (post2, write_lane)
    assert dispatcher.queue is dispatcher.lanes["read"].waiting
