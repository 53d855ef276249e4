"""One atomic file writer for every file the package writes (models, drawings, plots)."""

from __future__ import annotations

import os
import secrets
import signal
import threading

# Signals whose default action ends the process at once, skipping any cleanup.
_FATAL = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Terminated(BaseException):
    """A fatal signal arrived while a file was being written (raised so the cleanup runs)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise _Terminated(signum)


def atomic_write(path, write) -> str:
    """Call `write(f)` on a new binary file beside `path`, then rename it onto `path`.

    Readers see the old file or the whole new one, never a part. The folder is
    created if missing; the file's mode follows the umask, as `open` would give.
    If `write` raises, or the process is interrupted (KeyboardInterrupt, or any
    exception a signal handler raises), the temporary file is removed and any
    existing `path` is left as it was, then the exception goes on.

    The default action of SIGTERM (and SIGHUP) would kill the process without
    that cleanup; so while writing on the main thread, each of them still at its
    default gets a handler of our own that turns it into an exception, and after
    the cleanup the signal is delivered again with the default action: the
    process still ends killed by it (exit status -15, or 143 in a shell, for
    SIGTERM). A handler the program set is left alone. Returns `path` as a str.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    catch = []
    if threading.current_thread() is threading.main_thread():
        catch = [s for s in _FATAL if signal.getsignal(s) == signal.SIG_DFL]
    for signum in catch:
        signal.signal(signum, _raise_terminated)
    try:
        with open(tmp, "xb") as f:  # "x": never reuse an existing file
            write(f)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, _Terminated):  # now die of the signal, as its default action would
            signal.signal(e.signum, signal.SIG_DFL)
            os.kill(os.getpid(), e.signum)
        raise
    finally:
        for signum in catch:
            signal.signal(signum, signal.SIG_DFL)
    return path
