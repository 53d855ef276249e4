"""One atomic file writer for every file the package writes (models, drawings, plots)."""

from __future__ import annotations

import os
import secrets
import signal
import threading


class _Terminated(BaseException):
    """SIGTERM arrived while a file was being written (raised so the cleanup runs)."""


def _raise_terminated(signum, frame):
    raise _Terminated


def atomic_write(path, write) -> str:
    """Call `write(f)` on a new binary file beside `path`, then rename it onto `path`.

    Readers see the old file or the whole new one, never a part. The folder is
    created if missing; the file's mode follows the umask, as `open` would give.
    If `write` raises, or the process is interrupted (KeyboardInterrupt, or any
    exception a signal handler raises), the temporary file is removed and any
    existing `path` is left as it was, then the exception goes on.

    SIGTERM's default action would kill the process without that cleanup; so
    while writing on the main thread with SIGTERM at its default, a handler of
    our own turns it into an exception, and after the cleanup the signal is
    delivered again with the default action: the process still ends killed by
    SIGTERM (exit status -15, or 143 in a shell). A handler the program set is
    left alone. Returns `path` as a str.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    catch = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    )
    if catch:
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with open(tmp, "xb") as f:  # "x": never reuse an existing file
            write(f)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, _Terminated):  # now die of SIGTERM, as the default action would
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        raise
    finally:
        if catch:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return path
