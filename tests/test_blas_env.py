"""mytorch._blas_env: NumPy's and SciPy's OpenBLAS loaded with OPENBLAS_THREAD_TIMEOUT set,
the variable left as the user had it."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = (
    "import os, sys; import mytorch; "
    "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'), 'numpy' in sys.modules, "
    "'scipy.linalg.cython_blas' in sys.modules)"
)


def _run(env_value):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if env_value is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = env_value
    if os.environ.get("MYTORCH_EXPECT_BUILD") == "pure":  # the source tree, as the suite imports
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.split()


@pytest.mark.parametrize("user", [None, "7"], ids=["unset", "set-by-user"])
def test_the_variable_is_left_as_the_user_had_it(user):
    value, numpy_loaded, scipy_blas_loaded = _run(user)
    assert value == str(user)  # "None" where unset: set only while the libraries loaded
    assert numpy_loaded == "True" and scipy_blas_loaded == "True"
