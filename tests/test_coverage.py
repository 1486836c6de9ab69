"""docs/COVERAGE.md (which of torch's public names mytorch has) is what tools/coverage.py
writes from the package as it is now; refresh it with ``python tools/coverage.py``."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("coverage_tool", ROOT / "tools" / "coverage.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.torch
def test_coverage_file_is_up_to_date():
    tool = _tool()
    text = tool.render(tool.sections())
    assert tool.OUT.read_text() == text, f"docs/COVERAGE.md is out of date: run {tool.COMMAND}"


@pytest.mark.torch
def test_every_missing_name_has_a_reason_and_present_names_are_real():
    tool = _tool()
    secs = tool.sections()
    counts = tool.counts(secs)
    assert set(counts) == {"torch", "Tensor", "linalg", "special", "nn.functional", "nn"}
    for section, _, rows in secs:
        for name, has, why in rows:
            assert has or why, (section, name)
    # a name mytorch has is counted, one it lacks is not
    rows = dict((n, h) for n, h, _ in secs[0][2])
    assert rows["add"] and not rows.get("quantize_per_tensor", False)


def test_reasons_follow_the_first_matching_rule():
    tool = _tool()
    assert tool.reason("torch", "quantize_per_tensor") == tool.QUANT
    assert tool.reason("Tensor", "indices") == tool.SPARSE
    assert tool.reason("torch", "indices_copy") == tool.SPARSE  # sparse before *_copy
    assert tool.reason("torch", "view_copy") == tool.COPY
    assert tool.reason("nn.functional", "conv2d") == tool.NN
    assert tool.reason("torch", "no_such_name_yet") == tool.ISSUE15
    assert tool.reason("nn", "NoSuchLayer") == tool.NN
    assert tool.reason("linalg", "cond") == tool.ISSUE15  # not TorchScript's torch.cond
    assert tool.reason("torch", "cond") == tool.JIT
