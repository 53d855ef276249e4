"""Saved models against hostile files: crafted or damaged `.npz` archives, and interrupted saves.

Every crafted archive here is a few hundred bytes on disk; the arrays they *declare* are
huge, and no test ever allocates them. Loads that could misbehave run in a subprocess that
reports the traced peak of allocations (numpy reports its buffers to tracemalloc).
"""

import io
import os
import signal
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest

from autograd_lite import nn

from .helpers import load_in_child

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _model():
    return nn.Sequential(nn.Linear(4, 5, rng=0), nn.ReLU(), nn.Linear(5, 3, rng=1))


def _snapshot(model):
    return {name: np.array(p.data, copy=True) for name, p in model.named_parameters()}


def _npy_header(shape, descr="<f8", fortran=False, version=(1, 0)):
    """The bytes of a .npy header declaring `shape` and `descr`, without any data."""
    buf = io.BytesIO()
    header = {"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buf, header)
    else:
        np.lib.format.write_array_header_2_0(buf, header)
    return buf.getvalue()


def _npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _archive(path, members, compression=zipfile.ZIP_STORED, force_zip64=False):
    """Write {member name: bytes} as a zip archive; returns its bytes."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            with zf.open(info, "w", force_zip64=force_zip64) as f:
                f.write(data)
    return path.read_bytes()


def _good_members():
    return {f"{k}.npy": _npy(v) for k, v in _model().state_dict().items()}


def _load_in_subprocess(path):
    """Load `path` into a fresh `_model()` in a child; returns its report (`load_in_child`)."""
    return load_in_child(
        "model = nn.Sequential(nn.Linear(4, 5, rng=0), nn.ReLU(), nn.Linear(5, 3, rng=1))",
        f"model.load({str(path)!r})",
    )


# ---- crafted archives: huge declared arrays, tiny files ------------------------------------


@pytest.mark.parametrize(
    "count, zip64",
    [(200_000_000, True), (10**10, False)],  # 1.5 GiB (zip64 member), 74.5 GiB
    ids=["1.5GiB-zip64", "74.5GiB"],
)
def test_a_huge_declared_array_is_refused_before_any_data_is_read(tmp_path, count, zip64):
    members = _good_members()
    members["0.weight.npy"] = _npy_header((count,)) + b"\0" * 64
    path = tmp_path / "crafted.npz"
    assert len(_archive(path, members, force_zip64=zip64)) < 4000
    report = _load_in_subprocess(path)
    assert report["peak"] < 10 * 2**20, f"load traced {report['peak']} bytes at its peak"
    assert report["error"] is not None and report["error"][0] == "ValueError", report
    message = report["error"][1]
    assert str(path) in message and "'0.weight'" in message
    assert f"({count},)" in message and "(5, 4)" in message
    assert report["unchanged"]


def test_a_member_whose_zip_size_disagrees_with_its_header_is_refused(tmp_path):
    # the header declares the right shape, but the zip entry holds far more bytes than that
    members = _good_members()
    members["0.bias.npy"] = _npy(np.zeros(5)) + b"\0" * 1000
    path = tmp_path / "long.npz"
    _archive(path, members)
    model = _model()
    before = _snapshot(model)
    with pytest.raises(
        ValueError, match=r"'0.bias' declares 40 bytes of data, its zip entry holds 1040"
    ):
        model.load(path)
    _assert_unchanged(model, before)


def _assert_unchanged(model, before):
    now = _snapshot(model)
    assert now.keys() == before.keys()
    for name in now:
        assert np.array_equal(now[name], before[name]), name


# ---- damaged archives: every read error is the documented ValueError -----------------------


def _deflated(tmp_path):
    path = tmp_path / "deflated.npz"
    return path, _archive(path, _good_members(), compression=zipfile.ZIP_DEFLATED)


def _corrupt_deflate_stream(tmp_path):
    """An archive whose first member's deflate stream is garbage (zlib.error on reading)."""
    path, data = _deflated(tmp_path)
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(data)
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    return path


def _bad_crc(tmp_path):
    path = tmp_path / "crc.npz"
    data = bytearray(_archive(path, _good_members()))
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    # flip a bit in the last byte of the first member's data (a float, not the header)
    end = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.file_size
    data[end - 1] ^= 1
    path.write_bytes(bytes(data))
    return path


def _truncated(tmp_path):
    path, data = _deflated(tmp_path)
    path.write_bytes(data[: len(data) // 2])
    return path


def _replacing(member, data):
    """A maker of a good archive whose `member` holds `data` instead."""

    def make(tmp_path):
        members = _good_members()
        members[member] = data
        path = tmp_path / "crafted.npz"
        _archive(path, members)
        return path

    return make


_truncated_member = _replacing("2.bias.npy", _npy(np.zeros(3))[:-8])
_pickled = _replacing("0.weight.npy", _npy_header((5, 4), descr="|O") + b"\x80\x04N.")
_strings = _replacing("0.bias.npy", _npy(np.array(["a", "b", "c", "d", "e"])))
_bad_header = _replacing("0.bias.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': oops}\n")
_not_npy = _replacing("0.bias.npy", b"just some text, not an array")
_odd_name = _replacing("README.txt", b"hello")


def _unsupported_compression(tmp_path):
    path = tmp_path / "method.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in _good_members().items():
            zf.writestr(name, data)
    data = bytearray(path.read_bytes())
    # compression method 99 (AES) in every local and central header: zipfile cannot read it
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(sig)
        while at >= 0:
            data[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))
    return path


def _empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    "make, problem",
    [
        (_corrupt_deflate_stream, r"'0.weight'.*(corrupt|invalid|error)"),
        (_bad_crc, r"'0.weight'.*CRC"),
        (_truncated, r"not a .npz archive"),
        (_truncated_member, r"'2.bias' declares 24 bytes of data, its zip entry holds 16"),
        (_pickled, r"'0.weight'.*dtype object"),
        (_strings, r"'0.bias'.*dtype <U1"),
        (_bad_header, r"'0.bias'.*header"),
        (_not_npy, r"'0.bias'.*not a .npy array"),
        (_odd_name, r"unexpected member 'README.txt'"),
        (_unsupported_compression, r"'0.weight'.*compression"),
        (_empty_file, r"not a .npz archive"),
    ],
    ids=[
        "corrupt_deflate_stream",
        "bad_crc",
        "truncated",
        "truncated_member",
        "pickled",
        "strings",
        "bad_header",
        "not_npy",
        "odd_name",
        "unsupported_compression",
        "empty",
    ],
)
def test_a_damaged_archive_raises_value_error_and_changes_nothing(tmp_path, make, problem):
    path = make(tmp_path)
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=problem) as info:
        model.load(path)
    assert str(path) in str(info.value)
    _assert_unchanged(model, before)


def test_a_good_archive_still_loads_compressed_fortran_or_version_2(tmp_path):
    source = _model()
    state = {k: v + 1.0 for k, v in source.state_dict().items()}
    members = {f"{k}.npy": _npy(v) for k, v in state.items()}
    w = np.asfortranarray(state["0.weight"])
    members["0.weight.npy"] = _npy(w)
    assert b"'fortran_order': True" in members["0.weight.npy"][:128]
    b = state["0.bias"]
    members["0.bias.npy"] = _npy_header(b.shape, version=(2, 0)) + b.astype("<f8").tobytes()
    members["2.bias.npy"] = _npy(state["2.bias"].astype(">f4"))
    path = tmp_path / "good.npz"
    _archive(path, members, compression=zipfile.ZIP_DEFLATED)
    model = _model().load(path)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, state[name], rtol=1e-6 if name == "2.bias" else 0)
        assert value.dtype == np.float64


def test_the_zlib_error_of_the_corrupt_stream_is_real(tmp_path):
    # guards the crafted file above: reading it with zipfile alone must hit a zlib error
    path = _corrupt_deflate_stream(tmp_path)
    with zipfile.ZipFile(path) as zf, pytest.raises(zlib.error):
        zf.read(zf.namelist()[0])


def test_a_member_far_larger_than_its_parameter_is_refused_unread(tmp_path):
    # 20 MB of zeros deflate to ~20 kB: the zip directory's size is checked before reading
    members = _good_members()
    members["0.bias.npy"] = _npy(np.zeros(5)) + bytes(20_000_000)
    path = tmp_path / "bomb.npz"
    assert len(_archive(path, members, compression=zipfile.ZIP_DEFLATED)) < 100_000
    report = _load_in_subprocess(path)
    assert report["peak"] < 10 * 2**20, f"load traced {report['peak']} bytes at its peak"
    assert report["error"][0] == "ValueError"
    assert "'0.bias' holds 20000168 bytes, too many for shape (5,)" in report["error"][1]


def test_missing_and_repeated_members_are_all_named(tmp_path):
    members = _good_members()
    del members["2.weight.npy"]
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("0.bias.npy", _npy(np.ones(5)))
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError) as info:
        model.load(path)
    assert "member '0.bias.npy' appears twice" in str(info.value)
    assert "missing '2.weight'" in str(info.value)
    _assert_unchanged(model, before)


# ---- interrupted saves: no temporary file left, the old file intact, the usual exit ------

_SLOW_WRITER = """
import sys, time
import numpy as np
from autograd_lite import nn
from autograd_lite._files import atomic_write

how, path = sys.argv[1], sys.argv[2]

def slow(f, **arrays):
    f.write(b"PK half an archive")
    f.flush()
    print("writing", flush=True)
    time.sleep(60)

if how == "save":
    np.savez = slow
    nn.Linear(2, 3).save(path)
else:
    atomic_write(path, slow)
"""


@pytest.mark.parametrize("how", ["save", "atomic_write"])
@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "SIGINT"]
)
def test_a_signal_during_a_save_leaves_no_temporary_and_the_old_file(tmp_path, how, sig):
    path = tmp_path / "model.npz"
    path.write_bytes(b"the old model")
    env = dict(os.environ, PYTHONPATH=ROOT)
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, how, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline() == "writing\n", child.stderr.read()
        assert len(os.listdir(tmp_path)) == 2  # the temporary file is there, mid-write
        child.send_signal(sig)
        child.wait(timeout=20)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -sig  # killed by the signal, as without the handler
    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == b"the old model"


def test_the_sigterm_handler_is_restored_and_a_custom_one_left_alone(tmp_path):
    from autograd_lite._files import atomic_write

    seen = []
    atomic_write(tmp_path / "a", lambda f: seen.append(signal.getsignal(signal.SIGTERM)))
    assert seen[0] not in (signal.SIG_DFL, None)  # a handler of our own while writing
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

    def mine(signum, frame):
        raise RuntimeError("custom")

    old = signal.signal(signal.SIGTERM, mine)
    try:
        atomic_write(tmp_path / "b", lambda f: seen.append(signal.getsignal(signal.SIGTERM)))
        assert seen[1] is mine and signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, old)
