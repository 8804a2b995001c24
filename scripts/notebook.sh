#!/usr/bin/env bash
# `npm run notebook`: Jupyter Notebook on the project's tslab kernel, opened at notebooks/.
# The kernel spec is project-local (jupyter/kernels/tslab/kernel.json, found through JUPYTER_PATH):
# nothing is installed globally. Extra arguments go to `jupyter notebook` (e.g. --port 8890).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v jupyter-notebook >/dev/null 2>&1; then
  {
    echo "Jupyter Notebook is not installed. On Debian/Ubuntu:"
    echo "  sudo apt-get install -y --no-install-recommends jupyter-notebook"
    echo "(headless runs need only python3-nbclient jupyter-client jupyter-core: scripts/run-notebooks)"
  } >&2
  exit 1
fi
if [ ! -x node_modules/tslab/bin/tslab ]; then
  echo "node_modules/tslab is missing: run npm install first" >&2
  exit 1
fi

# Notebooks import ../dist: rebuild when src/ is newer than the last build.
if [ ! -f dist/index.js ] || [ -n "$(find src -newer dist/index.js -name '*.ts' -print -quit)" ]; then
  echo "building dist/ (src/ changed since the last build)"
  node node_modules/typescript/bin/tsc -p tsconfig.build.json
fi

# Notebook refuses to run as root without --allow-root (containers, CI machines): add it, once, loudly.
extra=()
if [ "$(id -u)" = 0 ]; then
  echo "running as root: starting Jupyter Notebook with --allow-root" >&2
  extra+=(--allow-root)
fi

export JUPYTER_PATH="$root/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
exec jupyter-notebook --notebook-dir="$root/notebooks" "${extra[@]}" "$@"
