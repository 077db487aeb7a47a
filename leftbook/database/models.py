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

from leftbook.database import BaseModel

MAX_POST_NO = 10**15 - 1  # post numbers, pages and ids in URLs and forms stay below this
EVENT_TIME_LENGTH = 16  # "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM", local to the event
MAX_EVENT_PLACE = 80
MAX_EVENT_LINK = 300


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
    phash = CharField(max_length=32)  # empty when the thumbnail is an icon (audio, EPUB)
    created = BigIntegerField()
    kind = CharField(max_length=8, default="image")  # image, pdf, epub, video, audio
    pages = IntegerField(default=0)  # a PDF's pages, an EPUB's sections
    duration = IntegerField(default=0)  # seconds of video or audio


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
    # An event thread's order and retention keys (None on other threads): its opening
    # post's `event_start`, and the Unix second when the event is over everywhere on Earth.
    event_start = CharField(max_length=EVENT_TIME_LENGTH, null=True)
    event_until = BigIntegerField(null=True)

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
    file = ForeignKeyField(File, null=True, on_delete="RESTRICT", backref="posts")  # the first
    filename = CharField(max_length=255, null=True)
    spoiler = BooleanField(default=False)
    file_deleted = BooleanField(default=False)  # its file was deleted, the post kept
    # What an event thread's opening post announces (None elsewhere); see leftbook.events.
    event_start = CharField(max_length=EVENT_TIME_LENGTH, null=True)
    event_end = CharField(max_length=EVENT_TIME_LENGTH, null=True)
    event_place = CharField(max_length=MAX_EVENT_PLACE, null=True)
    event_link = CharField(max_length=MAX_EVENT_LINK, null=True)

    class Meta:
        indexes = (
            (("board", "no"), True),
            (("thread", "no"), False),
        )


    @property
    def files(self) -> list[File]:
        """Every file of the post in order: `file`, then the further ones (`PostFile`),
        from what `attach_files` loaded, else read now."""
        extra = self.__dict__.get("_extra_files")
        if extra is None:
            extra = [row.file for row in PostFile.select(PostFile, File).join(File)
                     .where(PostFile.post == self.id).order_by(PostFile.position)]
            self.__dict__["_extra_files"] = extra
        return ([self.file] if self.file_id else []) + extra


class PostFile(BaseModel):
    """A post's second and further files (the first is `Post.file`), in `position` order."""

    post = ForeignKeyField(Post, on_delete="CASCADE", backref="extra_files")
    file = ForeignKeyField(File, on_delete="RESTRICT", backref="post_files")
    position = IntegerField()

    class Meta:
        indexes = (
            (("post", "position"), True),
            (("file",), False),
        )


class Backlink(BaseModel):
    """`source` quotes `target` (both on one board); shown under the target."""

    source = ForeignKeyField(Post, on_delete="CASCADE")
    target = ForeignKeyField(Post, on_delete="CASCADE", backref="backlinks")

    class Meta:
        indexes = ((("target", "source"), True),)


class Report(BaseModel):
    """A reader's report of a post. Nothing about the reporter is kept."""

    post = ForeignKeyField(Post, on_delete="CASCADE", backref="reports")
    board = CharField(max_length=16)
    reason = CharField(max_length=32)
    text = CharField(max_length=300, null=True)
    created = BigIntegerField(index=True)
    handled = BooleanField(default=False)


class Capability(BaseModel):
    """A janitor capability granted by the operator; the signed link carries its id."""

    note = CharField(max_length=200, null=True)
    boards = CharField(max_length=400)  # comma-separated slugs, or "*" for every board
    powers = CharField(max_length=200)  # comma-separated powers
    created = BigIntegerField()
    expires = BigIntegerField()
    revoked = BooleanField(default=False)


class AuditEntry(BaseModel):
    """What a janitor did: capability, action, board, post number, time; never the poster."""

    capability = IntegerField()
    action = CharField(max_length=32)
    board = CharField(max_length=16)
    post_no = BigIntegerField(null=True)
    time = BigIntegerField(index=True)


class FileBan(BaseModel):
    """A banned picture, matched by exact hash and by perceptual hash."""

    sha256 = CharField(max_length=64, index=True)
    phash = CharField(max_length=32)
    created = BigIntegerField()
    reason = CharField(max_length=200, null=True)


class FloodEvent(BaseModel):
    """One recent post or report counted by flood control; expires within minutes.

    `key` is a scope such as "site", "board:soc", "thread:soc:12", or a keyed hash of a
    poster token (never the token itself).
    """

    kind = CharField(max_length=16)
    key = CharField(max_length=80)
    digest = CharField(max_length=64, null=True)  # keyed hash of a body, for duplicate checks
    time = BigIntegerField()

    class Meta:
        indexes = ((("kind", "key", "time"), False),)


class UsedChallenge(BaseModel):
    """A captcha challenge already answered, kept until it would have expired anyway."""

    challenge = CharField(primary_key=True, max_length=64)
    expires = BigIntegerField(index=True)


class Setting(BaseModel):
    """Small shared switches (lockdown, flood-triggered captcha), with an optional expiry."""

    key = CharField(primary_key=True, max_length=64)
    value = CharField(max_length=200)
    expires = BigIntegerField(null=True)


class Lock(BaseModel):
    """A named lock row (the prune lock on SQLite); a stale one expires."""

    name = CharField(primary_key=True, max_length=32)
    holder = CharField(max_length=64)
    expires = BigIntegerField()


MODELS = [
    BoardState, File, Thread, Post, PostFile, Backlink, Report, Capability, AuditEntry, FileBan,
    FloodEvent, UsedChallenge, Setting, Lock,
]

