"""The producer's spool: a copy of every complete file, and a journal of what
happened to it, both on the feed server's own disk.

The journal is SQLite (stdlib, Windows and Linux, one atomic commit per step),
so a kill -9 at any point leaves one of these for each file:

- not in the journal: it was never accepted; the next scan finds it again
  (a half-written spool copy without a row is removed at start-up);
- ``spooled``: copied and checksummed, waiting its turn;
- ``sending``: a PUT may or may not have reached S3; before sending again the
  uploader asks S3 (HEAD with the checksum), so nothing lands twice;
- ``sent``: in S3, its spool copy gone.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('spooled', 'sending', 'sent')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    spooled_at REAL NOT NULL,
    sent_at REAL,
    UNIQUE (source, size, mtime_ns)
);
CREATE INDEX IF NOT EXISTS files_waiting ON files (state, seq);
"""
SENT_KEEP_S = 7 * 24 * 3600  # what was sent is remembered a week, then forgotten


@dataclass(frozen=True)
class Spooled:
    seq: int
    key: str
    path: Path
    sha256_b64: str  # as S3's x-amz-checksum-sha256 wants it
    state: str
    attempts: int
    spooled_at: float


@dataclass(frozen=True)
class Backlog:
    files: int
    oldest_age_s: float


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files = folder / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "journal.sqlite3", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed step survives power loss
        self._db.executescript(_SCHEMA)
        self._orphans_remove()

    def close(self) -> None:
        self._db.close()

    def _path(self, seq: int) -> Path:
        return self.files / f"{seq:012d}"

    def _orphans_remove(self) -> None:
        """Copies a kill -9 left without a journal row (the row is written last)."""
        waiting = {
            seq for (seq,) in self._db.execute("SELECT seq FROM files WHERE state != 'sent'")
        }
        for path in self.files.iterdir():
            if not path.name.isdigit() or int(path.name) not in waiting:
                path.unlink(missing_ok=True)

    def known(self, source: Path, *, size: int, mtime_ns: int) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM files WHERE source = ? AND size = ? AND mtime_ns = ?",
            (str(source), size, mtime_ns),
        ).fetchone()
        return row is not None

    def accept(self, source: Path, *, key: str, size: int, mtime_ns: int) -> Spooled | None:
        """Copy ``source`` into the spool and journal it; None if it changed meanwhile."""
        next_seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM files").fetchone()[0]
        partial = self.files / f"{next_seq:012d}.part"
        with source.open("rb") as reader, partial.open("wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        data = partial.read_bytes()
        stat = source.stat()
        if len(data) != size or stat.st_size != size or stat.st_mtime_ns != mtime_ns:
            partial.unlink(missing_ok=True)  # still being written: the next scan decides
            return None
        digest = sha256_b64(data)
        os.replace(partial, self._path(next_seq))
        now = time.time()
        self._db.execute(
            "INSERT INTO files (seq, source, size, mtime_ns, sha256, key, state, spooled_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'spooled', ?)",
            (next_seq, str(source), size, mtime_ns, digest, key, now),
        )
        return Spooled(next_seq, key, self._path(next_seq), digest, "spooled", 0, now)

    def waiting(self, limit: int = 100) -> list[Spooled]:
        """The oldest files not yet in S3, in the order they were accepted."""
        rows = self._db.execute(
            "SELECT seq, key, sha256, state, attempts, spooled_at FROM files "
            "WHERE state != 'sent' ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            Spooled(seq, key, self._path(seq), digest, state, attempts, at)
            for seq, key, digest, state, attempts, at in rows
        ]

    def sending(self, seq: int) -> None:
        self._db.execute(
            "UPDATE files SET state = 'sending', attempts = attempts + 1 WHERE seq = ?", (seq,)
        )

    def failed(self, seq: int, error: str) -> None:
        self._db.execute("UPDATE files SET last_error = ? WHERE seq = ?", (error[:500], seq))

    def sent(self, seq: int) -> None:
        now = time.time()
        self._db.execute(
            "UPDATE files SET state = 'sent', sent_at = ?, last_error = '' WHERE seq = ?",
            (now, seq),
        )
        self._path(seq).unlink(missing_ok=True)
        self._db.execute(
            "DELETE FROM files WHERE state = 'sent' AND sent_at < ?", (now - SENT_KEEP_S,)
        )

    def backlog(self, now: float | None = None) -> Backlog:
        count, oldest = self._db.execute(
            "SELECT COUNT(*), MIN(spooled_at) FROM files WHERE state != 'sent'"
        ).fetchone()
        now = time.time() if now is None else now
        return Backlog(files=count, oldest_age_s=max(0.0, now - oldest) if oldest else 0.0)

    def sent_keys(self) -> list[str]:
        return [k for (k,) in self._db.execute("SELECT key FROM files WHERE state = 'sent'")]
