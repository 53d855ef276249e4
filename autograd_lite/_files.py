"""One atomic file writer for every file the package writes (models, drawings, plots)."""

from __future__ import annotations

import os
import secrets


def atomic_write(path, write) -> str:
    """Call `write(f)` on a new binary file beside `path`, then rename it onto `path`.

    Readers see the old file or the whole new one, never a part. The folder is
    created if missing; the file's mode follows the umask, as `open` would give.
    If `write` raises (or the process is interrupted by an exception), the
    temporary file is removed and any existing `path` is left as it was.
    Returns `path` as a str.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:  # "x": never reuse an existing file
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
