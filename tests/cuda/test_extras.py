"""The GPU extras of pyproject.toml and the README's word on them."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_cuda_extras_pull_one_cupy_each():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert extras["cuda12"] == ["cupy-cuda12x>=13"]
    assert extras["cuda13"] == ["cupy-cuda13x>=14"]
    readme = (ROOT / "README.md").read_text()
    assert "mytorch-autograd[cuda12]" in readme and "`[cuda13]`" in readme
    assert "Install only one" in readme
