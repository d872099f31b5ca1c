"""A whole run of the solutions passes and leaves no temp file behind, under every start method.

The run gets a private TMPDIR, and pytest's own tmp_path folders go elsewhere
(--basetemp), so whatever is left in TMPDIR afterwards was leaked: a server's
key folder, a multiprocessing scratch folder, a results file.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kata import trees

pytestmark = pytest.mark.timeout(900)


@pytest.mark.parametrize("start_method", ["fork", "forkserver", "spawn"])
def test_the_solutions_leave_no_temp_file_behind(tmp_path, start_method):
    # A short TMPDIR of its own: under xdist tmp_path is deep enough that a Unix socket made in it (a fork
    # server's, a server's) would pass the 107 bytes AF_UNIX allows.
    scratch = Path(tempfile.mkdtemp(prefix="kata-left-"))
    try:
        _check_run(scratch, tmp_path, start_method)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _check_run(scratch, tmp_path, start_method):
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "exercises", "--solutions", "-n", "2", "-q", "-p", "no:cacheprovider",
         "--start-method", start_method, "--basetemp", str(tmp_path / "basetemp")],
        cwd=trees.ROOT, env={**os.environ, "TMPDIR": str(scratch)}, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"the solutions failed under {start_method}:\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
    left = sorted(str(path.relative_to(scratch)) for path in scratch.rglob("*"))
    assert not left, f"a run of the solutions under {start_method} left these in its TMPDIR: {left[:20]}"
