"""Tables. Times are whole Unix seconds. Nothing here identifies a poster."""

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from leftbook.db import BaseModel, database


class BoardState(BaseModel):
    """Per-board counters: the last post number given out, and a version bumped by every change.

    The version validates page caches and ETags on every instance sharing the database.
    """

    slug = CharField(primary_key=True, max_length=16)
    last_no = BigIntegerField(default=0)
    version = BigIntegerField(default=0)


class File(BaseModel):
    """A re-encoded upload, stored once by content hash; removed when no post refers to it."""

    tim = CharField(primary_key=True, max_length=64)
    ext = CharField(max_length=8)
    thumb_ext = CharField(max_length=8)
    w = IntegerField()
    h = IntegerField()
    tn_w = IntegerField()
    tn_h = IntegerField()
    fsize = IntegerField()
    md5 = CharField(max_length=32)
    phash = CharField(max_length=32)
    created = BigIntegerField()


class Thread(BaseModel):
    board = CharField(max_length=16)
    no = BigIntegerField()
    salt = BlobField()
    created = BigIntegerField()
    bumped = BigIntegerField()
    last_modified = BigIntegerField()
    replies = IntegerField(default=0)
    images = IntegerField(default=0)
    sticky = BooleanField(default=False)
    locked = BooleanField(default=False)

    class Meta:
        indexes = (
            (("board", "no"), True),
            (("board", "sticky", "bumped"), False),
        )


class Post(BaseModel):
    board = CharField(max_length=16)
    no = BigIntegerField()
    thread = ForeignKeyField(Thread, on_delete="CASCADE", backref="posts")
    thread_no = BigIntegerField()
    time = BigIntegerField()
    name = CharField(max_length=100)
    trip = CharField(max_length=40, null=True)
    poster_id = CharField(max_length=8, null=True)
    subject = CharField(max_length=200, null=True)
    body = TextField()
    html = TextField()
    sage = BooleanField(default=False)
    password_hash = CharField(max_length=200, null=True)
    file = ForeignKeyField(File, null=True, on_delete="RESTRICT", backref="posts")
    filename = CharField(max_length=255, null=True)
    spoiler = BooleanField(default=False)

    class Meta:
        indexes = (
            (("board", "no"), True),
            (("thread", "no"), False),
        )


class Backlink(BaseModel):
    """`source` quotes `target` (both on one board); shown under the target."""

    source = ForeignKeyField(Post, on_delete="CASCADE")
    target = ForeignKeyField(Post, on_delete="CASCADE", backref="backlinks")

    class Meta:
        indexes = ((("target", "source"), True),)


MODELS = [BoardState, File, Thread, Post, Backlink]


def create_schema() -> None:
    """Create missing tables and indexes (idempotent; safe on every start)."""
    database.create_tables(MODELS, safe=True)
