"""crmdp's SQLite backend (see base.py). This package's own module holds only what
is read without Django: the settings and the benchmark use it."""

LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")  # CRMDP_SQLITE_SYNCHRONOUS's values


def commit_durability(level: str) -> tuple[str, bool]:
    """For a CRMDP_SQLITE_SYNCHRONOUS level (one of LEVELS): SQLite's own `PRAGMA
    synchronous`, and whether crmdp syncs the WAL after each commit. FULL is NORMAL
    in SQLite and crmdp's sync once the write lock is released (base._sync_wal)."""
    syncs_after_commit = level == "FULL"
    return ("NORMAL" if syncs_after_commit else level), syncs_after_commit
