"""benchmarks/bench_gpu.py runs: its --dry-run (tiny sizes, the stand-in device as ``cuda``
without a GPU) writes the markdown table and the JSON with every row of issue 19."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROWS = ["mlp_large", "mlp_small", "matmul", "fused_bandwidth", "cnn", "transformer"]


def test_dry_run_writes_every_row(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    script = ROOT / "benchmarks" / "bench_gpu.py"
    out = subprocess.run(
        [sys.executable, str(script), "--dry-run", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "bench_gpu.json").read_text())
    assert report["dry_run"] is True
    assert [r["row"] for r in report["rows"]] == ROWS
    for r in report["rows"]:
        assert r["mytorch"] > 0
        if report["torch"] is None:
            assert "torch" not in r and r["ratio"] is None
    by = {r["row"]: r for r in report["rows"]}
    assert by["matmul"]["mytorch_tflops"] > 0 and by["fused_bandwidth"]["mytorch_share"] > 0
    md = (tmp_path / "bench_gpu.md").read_text()
    assert md in out.stdout
    assert md.count("\n| ") == 1 + len(ROWS)  # the header and a line per row
    if report["torch"] is None:
        assert "| mlp_large |" in md and "| skipped | skipped |" in md
