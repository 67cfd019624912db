#!/usr/bin/env bash
# Set up everything hwcodesign needs on a Debian/Ubuntu machine. Idempotent: each part
# leaves a stamp under .venv/.stamps and is skipped on the next run while its inputs
# (the requirement files) are unchanged.
#
#   scripts/bootstrap.sh            system packages + .venv with the core dependencies
#   scripts/bootstrap.sh physics    ... plus the optional Pythia8/FastJet extra (GPL)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
STAMPS=$VENV/.stamps
TORCH_WHEEL=/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
APT_PACKAGES=(build-essential python3.11 python3.11-venv python3.11-dev yosys
              dataset-fashion-mnist ccache git)
WANT_PHYSICS=0
[[ "${1:-}" == "physics" ]] && WANT_PHYSICS=1

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

stamp_ok() {  # stamp_ok NAME HASH -> true when the stamp exists with this hash
  [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]
}
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }

# 1. System packages (only the missing ones; apt needs root or sudo).
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  # A python3.11 from elsewhere (pyenv, conda) is fine: do not insist on Debian's.
  if command -v python3.11 >/dev/null && python3.11 -c "import venv, ensurepip" 2>/dev/null; then
    missing=("${missing[@]/python3.11*/}")
  fi
  missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
fi
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  say "installing system packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "system packages present"
fi

# 2. The virtual environment.
PY=${PYTHON:-python3.11}
if [[ ! -x $VENV/bin/python ]]; then
  say "creating $VENV with $($PY --version)"
  $PY -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
fi
PIP=(pip_quiet)
# Some pip configs list local index folders that do not exist; hide pip's warning per package.
pip_quiet() {
  local rc=0
  "$VENV/bin/python" -m pip "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  rc=${PIPESTATUS[0]}
  return "$rc"
}

# 3. CPU torch first, so that nothing can pull a CUDA build.
if ! stamp_ok torch "2.13.0+cpu"; then
  if [[ -f $TORCH_WHEEL ]]; then
    say "installing CPU torch from $TORCH_WHEEL"
    "${PIP[@]}" install -q "$TORCH_WHEEL" "setuptools>=77,<81"
  else
    say "installing CPU torch from the PyTorch CPU index"
    "${PIP[@]}" install -q "torch==2.13.0+cpu" "setuptools>=77,<81" \
      --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple
  fi
  stamp_set torch "2.13.0+cpu"
fi

# 4. Everything else in one resolver run, after a dry run that refuses CUDA packages.
req_hash=$(cat requirements/constraints.txt requirements/base.txt | sha256sum | cut -c1-16)
if ! stamp_ok base "$req_hash"; then
  say "checking that the resolver keeps the CPU torch"
  "${PIP[@]}" install -q --dry-run --report "$VENV/pip-report.json" \
    -c requirements/constraints.txt -r requirements/base.txt >/dev/null
  "$VENV/bin/python" - "$VENV/pip-report.json" <<'EOF'
import json, sys
names = [i["metadata"]["name"].lower() for i in json.load(open(sys.argv[1]))["install"]]
bad = [n for n in names if n.startswith(("nvidia", "triton")) or n == "torch"]
if bad:
    sys.exit(f"refusing to install {bad}: they would replace the CPU torch with a CUDA build")
EOF
  say "installing Python dependencies (first run: a few minutes, ~4 GB)"
  "${PIP[@]}" install -q -c requirements/constraints.txt -r requirements/base.txt
  # finn-plus pins brevitas==0.13.0 (broken on torch 2.13) and protobuf 5 (TF 2.21 needs 6):
  # its other requirements are in base.txt, so it goes in without its own pins.
  "${PIP[@]}" install -q --no-deps finn-plus==1.6.1
  say "(pip's note that finn-plus wants brevitas==0.13.0 and protobuf==5.29.6 is expected:"
  say " brevitas 0.13.0 breaks on torch 2.13 and TensorFlow 2.21 needs protobuf 6)"
  stamp_set base "$req_hash"
else
  say "Python dependencies present"
fi

# 4b. hwcodesign itself (editable; redone when pyproject.toml changes).
pkg_hash=$(sha256sum pyproject.toml | cut -c1-16)
if ! stamp_ok package "$pkg_hash"; then
  "${PIP[@]}" install -q --no-deps -e .
  stamp_set package "$pkg_hash"
fi

# 5. The legacy Keras 2 / QKeras venv (keras2_file frontend): QKeras 0.9 and hgq2 both ship
#    a package named qkeras, so they cannot share .venv. TensorFlow comes from the pip cache.
LEGACY=$ROOT/.venv-legacy
legacy_hash=$(cat requirements/legacy.txt requirements/legacy_isolated.txt | sha256sum | cut -c1-16)
if [[ ! -x $LEGACY/bin/python ]] || ! stamp_ok legacy "$legacy_hash"; then
  say "creating $LEGACY (tf-keras + qkeras, HGQ v1, QKeras for Keras 3: for Keras 2 / QKeras / HGQ models)"
  [[ -x $LEGACY/bin/python ]] || $PY -m venv "$LEGACY"
  "$LEGACY/bin/python" -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored" || true; }
  "$LEGACY/bin/python" -m pip install -q -r requirements/legacy.txt 2>&1 | { grep -v "is ignored" || true; }
  # packages whose modules clash with the ones above: one folder each, on sys.path only when needed
  grep -v '^\s*#' requirements/legacy_isolated.txt | grep -v '^\s*$' | while read -r req; do
    "$LEGACY/bin/python" -m pip install -q --no-deps --upgrade --target "$LEGACY/isolated/${req%%=*}" "$req" \
      2>&1 | { grep -v "is ignored" || true; }
  done
  stamp_set legacy "$legacy_hash"
fi

# 6. Optional physics extra (Pythia8 + FastJet, GPL-2+): only for generating new jets.
if ((WANT_PHYSICS)) && ! stamp_ok physics 1; then
  say "installing the physics extra (pythia8mc, fastjet wheels)"
  "${PIP[@]}" install -q --only-binary=:all: -c requirements/constraints.txt \
    "pythia8mc==8.317.2" "fastjet>=3.4"
  stamp_set physics 1
fi

say "ready: $($VENV/bin/python -c 'import hwcodesign; print("hwcodesign", hwcodesign.__version__)')"
