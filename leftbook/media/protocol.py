"""What the server and its media workers say to each other: frames of JSON plus raw bytes.

A frame is a 4-byte big-endian header length, a JSON header, then the blobs whose lengths
the header lists. Results are dataclasses of plain fields (str, int, float, bool, bytes,
None): bytes travel as blobs, the rest in the header, and the server checks every field
against the result type. Nothing is ever unpickled, so a worker that a hostile file has
taken over can send wrong answers but cannot run code in the server.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Sequence
from typing import Any, BinaryIO

MAX_HEADER = 64 * 1024
Frame = tuple[dict[str, Any], list[bytes]]


class ProtocolError(Exception):
    """A frame or result that does not follow the protocol."""


def frame(header: dict[str, Any], blobs: Sequence[bytes] = ()) -> bytes:
    head = json.dumps({**header, "blobs": [len(b) for b in blobs]}, separators=(",", ":"),
                      default=str).encode()
    return len(head).to_bytes(4, "big") + head + b"".join(blobs)


def request(kind: str, limits: Any, data: bytes) -> bytes:
    """A job: clean `data` as `kind` within `limits` (a dataclass of plain values)."""
    return frame({"kind": kind, "limits": dataclasses.asdict(limits)}, [data])


def result(value: Any) -> Frame:
    """A cleaner's result (a dataclass instance) as the header and blobs of an "ok" frame."""
    fields: dict[str, Any] = {}
    names, blobs = [], []
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if isinstance(item, bytes):
            names.append(field.name)
            blobs.append(item)
        else:
            fields[field.name] = item
    return {"status": "ok", "fields": fields, "blob_fields": names}, blobs


def read_result(result_type: type, header: dict[str, Any], blobs: list[bytes]) -> Any:
    """Rebuild a result from an "ok" frame, every field checked against `result_type`."""
    fields, names = header.get("fields"), header.get("blob_fields")
    if not isinstance(fields, dict) or not isinstance(names, list) or len(names) != len(blobs):
        raise ProtocolError("malformed result")
    values = {**fields, **dict(zip(names, blobs, strict=True))}
    hints = typing.get_type_hints(result_type)
    if set(values) != set(hints) or len(values) != len(fields) + len(names):
        raise ProtocolError("result fields do not match")
    for name, item in values.items():
        allowed = typing.get_args(hints[name]) or (hints[name],)
        if type(item) not in allowed:
            raise ProtocolError(f"result field {name} has the wrong type")
    return result_type(**values)


class FrameReader:
    """Collects one frame from chunks as they arrive; refuses a frame over `max_size`."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        self._header: dict[str, Any] | None = None
        self._sizes: list[int] = []
        self._start = 0

    def feed(self, chunk: bytes) -> Frame | None:
        self._buffer += chunk
        header = self._header or self._read_header()
        if header is None:
            return None
        end = self._start + sum(self._sizes)
        if len(self._buffer) < end:
            return None
        if len(self._buffer) > end:
            raise ProtocolError("bytes after the frame")
        blobs, position = [], self._start
        with memoryview(self._buffer) as view:
            for size in self._sizes:
                blobs.append(bytes(view[position : position + size]))
                position += size
        self._buffer = bytearray()
        return header, blobs

    def missing(self) -> int:
        """How many more bytes the frame needs at least (what a blocking reader asks for)."""
        have = len(self._buffer)
        if self._header is not None:
            return self._start + sum(self._sizes) - have
        if have < 4:
            return 4 - have
        return 4 + int.from_bytes(self._buffer[:4], "big") - have

    def _read_header(self) -> dict[str, Any] | None:
        if len(self._buffer) < 4:
            return None
        length = int.from_bytes(self._buffer[:4], "big")
        if length > MAX_HEADER:
            raise ProtocolError("header too long")
        if len(self._buffer) < 4 + length:
            return None
        try:
            header = json.loads(bytes(self._buffer[4 : 4 + length]))
        except ValueError as exc:
            raise ProtocolError("header is not JSON") from exc
        sizes = header.get("blobs") if isinstance(header, dict) else None
        if not isinstance(sizes, list) or not all(
                type(size) is int and size >= 0 for size in sizes):
            raise ProtocolError("malformed blob sizes")
        if 4 + length + sum(sizes) > self.max_size:
            raise ProtocolError("frame too large")
        self._header, self._sizes, self._start = header, sizes, 4 + length
        return header


def read_frame(stream: BinaryIO, max_size: int) -> Frame | None:
    """One whole frame from a blocking stream; None at a clean end of the stream."""
    reader = FrameReader(max_size)
    first = stream.read(4)
    if not first:
        return None
    found = reader.feed(first)
    while found is None:
        want = max(1, reader.missing())
        chunk = stream.read(want)
        if not chunk:
            raise ProtocolError("stream ended inside a frame")
        found = reader.feed(chunk)
    return found
