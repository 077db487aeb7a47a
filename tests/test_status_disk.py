"""Telling whether the data dir is on an encrypted disk, from a fake /proc and /sys."""

from pathlib import Path

import pytest

from leftbook.status.disk import (
    ENCRYPTED,
    MEMORY,
    UNENCRYPTED,
    UNKNOWN,
    encryption_of,
    mount_of,
)

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 254:0 / /srv rw,relatime shared:2 - ext4 /dev/mapper/crypt rw
24 22 254:1 / /var/lib rw,relatime shared:3 - ext4 /dev/mapper/vg-data rw
25 22 0:30 / /run/user rw,nosuid shared:4 - tmpfs tmpfs rw
26 22 0:52 / /var/lib/docker/x rw master:5 - overlay overlay rw,lowerdir=/a
27 23 254:0 /sub /srv/with\\040space rw shared:6 - ext4 /dev/mapper/crypt rw
"""


@pytest.fixture
def fake_system(tmp_path) -> tuple[Path, Path]:
    """A /proc with the mounts above and a /sys where 254:0 is dm-crypt, 254:1 an LVM volume
    on it, and 8:1 a partition of a plain disk."""
    proc, sys = tmp_path / "proc", tmp_path / "sys"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(MOUNTINFO)
    devices = sys / "devices"
    crypt, lvm, disk = devices / "dm-0", devices / "dm-1", devices / "sda"
    for directory, uuid in ((crypt, "CRYPT-LUKS2-1234-crypt"), (lvm, "LVM-abcd")):
        (directory / "dm").mkdir(parents=True)
        (directory / "dm" / "uuid").write_text(uuid + "\n")
        (directory / "slaves").mkdir()
    (lvm / "slaves" / "dm-0").symlink_to(crypt)
    (disk / "sda1").mkdir(parents=True)
    (disk / "sda1" / "partition").write_text("1\n")
    block = sys / "dev" / "block"
    block.mkdir(parents=True)
    for number, target in (("254:0", crypt), ("254:1", lvm), ("8:1", disk / "sda1")):
        (block / number).symlink_to(target)
    return proc, sys


@pytest.mark.parametrize(("path", "state"), [
    ("/srv/leftbook", ENCRYPTED),
    ("/var/lib/leftbook", ENCRYPTED),
    ("/home/leftbook", UNENCRYPTED),
    ("/run/user/1000/leftbook", MEMORY),
    ("/var/lib/docker/x/leftbook", UNKNOWN),
    ("/srv/with space/leftbook", ENCRYPTED),
])
def test_the_mount_and_its_devices_tell(fake_system, path, state):
    proc, sys = fake_system
    found, where = encryption_of(Path(path), proc=proc, sys=sys)
    assert found == state, where


def test_the_longest_mount_point_wins_and_escapes_are_read():
    mount = mount_of(Path("/srv/with space/x"), MOUNTINFO)
    assert mount.point == "/srv/with space" and mount.device == "254:0"
    assert mount_of(Path("/srvx"), MOUNTINFO).point == "/"


def test_without_proc_it_cannot_tell(tmp_path):
    assert encryption_of(tmp_path, proc=tmp_path / "none")[0] == UNKNOWN
