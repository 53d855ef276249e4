"""scripts/install-graphviz.sh, on a PATH without `dot` and with a fake apt-get: what it says."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install-graphviz.sh"


def _run(tmp_path, installs, *args):
    """Run the script as root-or-not on a PATH holding only sh, id and a fake apt-get that
    succeeds, and puts a `dot` on the PATH if `installs`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "id"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    fake = bin_dir / "apt-get"
    chmod = shutil.which("chmod")
    make_dot = f"echo '#!/bin/sh' > {bin_dir}/dot; {chmod} +x {bin_dir}/dot\n" if installs else ""
    fake.write_text(f"#!/bin/sh\n{make_dot}exit 0\n")
    fake.chmod(0o755)
    if shutil.which("sudo") and os.getuid() != 0:
        os.symlink(shutil.which("sudo"), bin_dir / "sudo")
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    done = subprocess.run(
        [shutil.which("sh"), str(SCRIPT), *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0
    return done.stdout + done.stderr


@pytest.mark.skipif(os.name != "posix" or os.getuid() != 0, reason="runs the fake as root")
def test_quiet_says_nothing_when_the_install_gives_no_dot(tmp_path):
    """`make demo` runs it --quiet and then says itself that dot is missing: one line."""
    assert _run(tmp_path, False, "--quiet") == ""


@pytest.mark.skipif(os.name != "posix" or os.getuid() != 0, reason="runs the fake as root")
def test_quiet_says_once_it_installed_dot(tmp_path):
    said = _run(tmp_path, True, "--quiet").strip()
    assert said == "installed Graphviz's 'dot' program with apt-get"


@pytest.mark.skipif(os.name != "posix" or os.getuid() != 0, reason="runs the fake as root")
def test_loud_says_what_it_tries_and_that_it_failed(tmp_path):
    out = _run(tmp_path, False)
    assert "installing Graphviz's 'dot' program with apt-get" in out
    assert "is not installed and could not be" in out
