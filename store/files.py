"""Files that only the service account may read: the one home of that rule.

The database holds the session secret (with it anyone can forge an admin cookie),
contact data and password hashes; its -wal/-shm/-journal, backups, index files and
rejects files hold the same data. They are created 0600 and their folders 0700,
whatever the umask says, and files of ours found more open are closed on open.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: Files SQLite keeps beside a database (they get the database file's mode, but an
#: older version of this program left them 0644).
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Take group and world rights away from ``path`` if it is ours (others' files stay)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or (info.st_mode & 0o777) == mode:
        return
    os.chmod(path, mode)


def private_dir(path: Path) -> Path:
    """``path`` as a folder (parents as needed) that only its owner can enter."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    make_private(path, PRIVATE_DIR)
    return path


def create_private_file(path: Path, exclusive: bool = False) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; an existing one is made private
    (with ``exclusive``: raises ``FileExistsError`` instead)."""
    path = Path(path)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        if exclusive:
            raise
        make_private(path)
    else:
        os.fchmod(handle, PRIVATE_FILE)   # the umask may have taken bits the call asked for
        os.close(handle)
    return path


def open_private(path: Path, mode: str = "w", **kwargs):
    """``open(path, mode)`` for writing, the file 0600 from its first byte on."""
    path = Path(path)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC),
                     PRIVATE_FILE)
    os.fchmod(handle, PRIVATE_FILE)
    return os.fdopen(handle, mode, **kwargs)


def private_database(path: Path) -> None:
    """Make a SQLite file and its companions private before anything connects to it.

    SQLite creates -wal, -shm and -journal with the database file's mode, so a database
    created 0600 keeps them 0600 too."""
    create_private_file(path)
    for suffix in SQLITE_COMPANIONS:
        make_private(Path(f"{path}{suffix}"))
