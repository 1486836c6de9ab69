"""Which of PyTorch's public names mytorch has: writes docs/COVERAGE.md.

    python tools/coverage.py          # rewrite docs/COVERAGE.md
    python tools/coverage.py --check  # exit 1 when docs/COVERAGE.md is out of date

Needs torch (the oracle, in the test extra) and the mytorch to describe on the path. The names
are those of torch 2.13.0 (the test extra's pin): the public callables of ``torch``,
``torch.linalg``, ``torch.special`` and ``torch.nn.functional`` (not classes, not names from
``typing``), and every public attribute of ``torch.Tensor`` (methods and properties). A name
mytorch lacks gets the first reason in REASONS whose pattern matches it (tests/test_coverage.py
fails when the committed file differs from what this script writes).
"""

import fnmatch
import inspect
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "COVERAGE.md"
COMMAND = "python tools/coverage.py"

# Where a missing name will come from, or why it will not. First match wins; a pattern is an
# fnmatch pattern, prefixed with "<section>:" to apply in one section only (sections: torch,
# Tensor, linalg, special, nn.functional, nn). Issue numbers are the project's tracker.
ISSUE15 = "issue 15 (breadth: ops, dtypes, interop, random)"
NN = "issue 16 (torch.nn)"
TRAINING = "issue 17 (training stack: optim, data, save/load)"
AUTOGRAD = "issue 18 (autograd tools: functional transforms, vmap, anomaly mode)"
LATER = "planned, no issue yet"
QUANT = "not planned: quantized tensors"
SPARSE = "not planned: sparse tensors"
VENDOR = "not planned: a vendor library's or a backend's internal kernel (use the public op)"
JIT = "not planned: TorchScript / torch.compile machinery"
AUTOCAST = "not planned: autocast (mixed precision)"
COPY = "not planned: functionalization's *_copy variant (use the view, then .clone())"
DEVICE = "not planned: a device or layout mytorch does not have"
STORAGE = "not planned: storages, pinned and shared memory"
REMOVED = "not planned: removed from torch (it only raises there)"
REASONS = [
    # --- not planned ---
    (
        "q_* quantize_* quantized_* dequantize fake_quantize_* int_repr qscheme choose_qparams_* "
        "fused_moving_avg_obs_fake_quant fbgemm_* empty_quantized",
        QUANT,
    ),
    (
        "sparse_* to_sparse* *indices_copy ccol_indices crow_indices col_indices row_indices "
        "Tensor:indices Tensor:values coalesce is_coalesced dense_dim sparse_dim sparse_mask "
        "smm hsmm dsmm spmm saddmm sspaddmm hspmm to_dense is_sparse* resize_as_sparse_ "
        "sparse_resize*",
        SPARSE,
    ),
    (
        "cudnn_* miopen_* mkldnn_* native_* batch_norm_backward_* batch_norm_elemt "
        "batch_norm_gather_stats* batch_norm_stats batch_norm_update_stats is_vulkan_available "
        "to_mkldnn conv_tbc constant_pad_nd convolution grid_sampler_2d grid_sampler_3d "
        "grid_sampler affine_grid_generator norm_except_dim frobenius_norm nuclear_norm "
        "segment_reduce thread_safe_generator hash_tensor "
        "nn.functional:grouped_mm nn.functional:scaled_grouped_mm nn.functional:scaled_mm",
        VENDOR,
    ),
    (
        "import_ir_module* parse_ir parse_schema parse_type_comment merge_type_from_type_comment "
        "unify_type_list fork wait compile classproperty sym_* while_loop torch:cond get_file_path "
        "compiled_with_cxx11_abi prepare_multiprocessing_environment "
        "profiler_allow_cudagraph_* nn.functional:boolean_dispatch "
        "nn.functional:assert_int_or_pair nn.functional:*torch_function*",
        JIT,
    ),
    ("*autocast*", AUTOCAST),
    ("*_copy Tensor:narrow_copy", COPY),
    (
        "Tensor:ipu Tensor:xpu Tensor:mtia Tensor:is_ipu Tensor:is_xpu Tensor:is_xla "
        "Tensor:is_mps Tensor:is_maia Tensor:is_mtia Tensor:is_vulkan Tensor:is_mkldnn "
        "Tensor:is_nested Tensor:to_padded_tensor Tensor:record_stream Tensor:is_meta "
        "Tensor:layout Tensor:dim_order",
        DEVICE,
    ),
    (
        "Tensor:storage Tensor:storage_type Tensor:untyped_storage Tensor:is_shared "
        "Tensor:share_memory_ Tensor:pin_memory Tensor:is_pinned Tensor:set_ Tensor:is_set_to "
        "from_file is_storage",
        STORAGE,
    ),
    (
        "torch:eig torch:symeig torch:lstsq torch:solve torch:matrix_rank Tensor:eig "
        "Tensor:symeig Tensor:lstsq Tensor:solve Tensor:reinforce Tensor:volatile "
        "set_default_tensor_type",
        REMOVED,
    ),
    # --- planned ---
    (
        "normal bernoulli* multinomial poisson binomial randint_like random_ exponential_ "
        "geometric_ log_normal_ cauchy_ bfloat16 short char byte can_cast result_type "
        "is_complex is_nonzero is_same_size set_printoptions from_dlpack to_dlpack",
        ISSUE15,
    ),
    ("nn.functional:* nn:*", NN),
    (
        "conv* adaptive_* avg_pool* max_pool* *_norm batch_norm instance_norm group_norm "
        "layer_norm rms_norm gru* lstm* rnn_* embedding* pixel_* channel_shuffle *dropout* "
        "bilinear *_loss ctc_loss kl_div cosine_similarity pairwise_distance pdist prelu "
        "rrelu* selu* celu* threshold* hardshrink",
        NN,
    ),
    ("save load Tensor:module_load", TRAINING),
    ("vmap *anomaly* Tensor:register_post_accumulate_grad_hook", AUTOGRAD),
    (
        "*window stft istft *deterministic* *interop_threads init_num_threads "
        "set_flush_denormal *warn_always* *float32_matmul_precision *default_device "
        "get_device_module Tensor:apply_ Tensor:map_ Tensor:map2_ "
        "Tensor:as_subclass lobpcg *_lowrank "
        "is_inference* Tensor:new* Tensor:resize* resize_as_",
        LATER,
    ),
    ("linalg:* special:*", ISSUE15),
    ("*", ISSUE15),
]


def _rules():
    out = []
    for patterns, reason in REASONS:
        for p in patterns.split():
            section, _, pat = p.rpartition(":")
            out.append((section or None, pat, reason))
    return out


def reason(section, name):
    for sec, pat, why in _rules():
        if (sec is None or sec == section) and fnmatch.fnmatchcase(name, pat):
            return why
    raise AssertionError("the last rule matches every name")


def _public_callables(mod):
    names = []
    for n in dir(mod):
        if n.startswith("_"):
            continue
        obj = getattr(mod, n, None)
        if not callable(obj) or inspect.isclass(obj):
            continue
        if getattr(obj, "__module__", "") == "typing":
            continue
        names.append(n)
    return sorted(names)


def _public_classes(mod):
    return sorted(
        n for n in dir(mod) if not n.startswith("_") and inspect.isclass(getattr(mod, n, None))
    )


def sections():
    """(section, torch path, [(name, has it, reason or "")]) for the six namespaces."""
    import torch
    import torch.nn.functional

    import mytorch
    import mytorch.nn.functional

    pairs = [
        ("torch", "torch", torch, mytorch, _public_callables),
        ("Tensor", "torch.Tensor", torch.Tensor, mytorch.Tensor, None),
        ("linalg", "torch.linalg", torch.linalg, mytorch.linalg, _public_callables),
        ("special", "torch.special", torch.special, mytorch.special, _public_callables),
        (
            "nn.functional",
            "torch.nn.functional",
            torch.nn.functional,
            mytorch.nn.functional,
            _public_callables,
        ),
        ("nn", "torch.nn", torch.nn, mytorch.nn, _public_classes),
    ]
    out = []
    for section, path, tmod, mmod, lister in pairs:
        if lister is None:
            names = sorted(n for n in dir(tmod) if not n.startswith("_"))
        else:
            names = lister(tmod)
        rows = []
        for n in names:
            has = hasattr(mmod, n)
            rows.append((n, has, "" if has else reason(section, n)))
        out.append((section, path, rows))
    return out


def counts(secs):
    """{section: (torch's names, mytorch has)}."""
    return {s: (len(rows), sum(h for _, h, _ in rows)) for s, _, rows in secs}


def render(secs):
    import torch

    lines = [
        "# PyTorch coverage",
        "",
        f"Which public names of torch {torch.__version__.split('+')[0]} mytorch has. Check here "
        "before porting a script; a missing name says which issue brings it, or why it will not "
        "come. Written by `" + COMMAND + "` (tests/test_coverage.py fails when this file is out "
        "of date: run that command and commit the result).",
        "",
        "Names: the public callables of `torch`, `torch.linalg`, `torch.special` and "
        "`torch.nn.functional` (classes aside), every public attribute of `torch.Tensor` "
        "(methods and properties), and the classes of `torch.nn` (modules and their helpers).",
        "",
        "| namespace | torch | mytorch has | missing |",
        "| --- | ---: | ---: | ---: |",
    ]
    for section, path, rows in secs:
        n, h = len(rows), sum(x for _, x, _ in rows)
        lines.append(f"| [`{path}`](#{path.replace('.', '').lower()}) | {n} | {h} | {n - h} |")
    for section, path, rows in secs:
        lines += ["", f"## {path}", "", "| name | mytorch |", "| --- | --- |"]
        for n, has, why in rows:
            lines.append(f"| `{n}` | {'yes' if has else 'no: ' + why} |")
    return "\n".join(lines) + "\n"


def main(argv):
    text = render(sections())
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    for section, (n, h) in counts(sections()).items():
        print(f"{section}: {h} of {n}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
