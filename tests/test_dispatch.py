"""The server's threads take reads first, one small write at a time, a few uploads."""

from types import SimpleNamespace

from leftbook.serving.dispatch import SMALL_BODY, ReadsFirstDispatcher, lane_of


def channel(command: str, length: int = 0):
    return SimpleNamespace(requests=[SimpleNamespace(command=command, content_length=length)])


def test_lanes():
    assert lane_of(channel("GET")) == lane_of(channel("HEAD")) == "read"
    assert lane_of(channel("POST", 900)) == "write"
    assert lane_of(channel("POST", 3 * 8000 + 2000)) == "write", "8 000 characters of text"
    assert lane_of(channel("POST", 40_000)) == "bulk", "a post with a picture waits apart"
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


def test_a_304_keeps_the_connection_open():
    """waitress would close it after any answer without a body (see KeepAliveTask)."""
    import http.client
    import threading

    from leftbook.serving.channels import Limits
    from leftbook.serving.guard import GuardedServer

    def app(environ, start_response):
        if environ.get("HTTP_IF_NONE_MATCH"):
            start_response("304 Not Modified", [("ETag", '"x"')])
            return [b""]
        start_response("200 OK", [("ETag", '"x"'), ("Content-Length", "2")])
        return [b"ok"]

    server = GuardedServer(app, Limits(), host="127.0.0.1", port=0, threads=2)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        for headers, status in (({}, 200), ({"If-None-Match": '"x"'}, 304),
                                ({"If-None-Match": '"x"'}, 304), ({}, 200)):
            connection.request("GET", "/", headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == status
            assert response.getheader("Connection") is None
        sock = connection.sock
        assert sock is not None, "one connection served all four"
        connection.request("GET", "/", headers={"If-None-Match": '"x"', "Connection": "close"})
        closing = connection.getresponse()
        assert closing.status == 304 and closing.getheader("Connection") == "close"
    finally:
        server.close()
        runner.join(timeout=10)
