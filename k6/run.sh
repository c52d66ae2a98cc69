#!/usr/bin/env bash
# Runs one k6 scenario with a local k6: `bash k6/run.sh <scenario> [extra k6 run args]`
# (what `npm run k6:<scenario>` calls). Without k6 it says how to get one, or what to use
# instead, and exits 1. K6_BIN overrides the k6 executable (default: `k6` on PATH).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scenarios="smoke load stress spike soak reload"

usage() {
  echo "usage: bash k6/run.sh <scenario> [extra k6 run args]" >&2
  echo "scenarios: ${scenarios}" >&2
}

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  usage
  exit 2
fi
scenario="$1"
shift
if [[ " ${scenarios} " != *" ${scenario} "* || ! -f "${root}/k6/${scenario}.ts" ]]; then
  echo "k6/run.sh: unknown scenario '${scenario}'" >&2
  usage
  exit 2
fi

k6_bin="${K6_BIN:-k6}"
if ! command -v "${k6_bin}" >/dev/null 2>&1; then
  cat >&2 <<EOF
k6/run.sh: k6 is not installed here (no '${k6_bin}' on PATH), so k6/${scenario}.ts cannot run.
Pick one:
  - install k6 (v0.57+ runs TypeScript directly): https://grafana.com/docs/k6/latest/set-up/install-k6/
    e.g. 'brew install k6', Grafana's apt/rpm repository, or a binary from
    https://github.com/grafana/k6/releases; then: npm run k6:${scenario}
  - run it under Docker Compose (results go to Prometheus and the k6 dashboard):
    docker compose --profile load run --rm k6 run /scripts/${scenario}.ts
  - use the Node load runner, the same shape at a smaller scale (no k6 needed):
    npm run load -- --scenario ${scenario}
EOF
  exit 1
fi

cd "${root}"
export SUMMARY_DIR="${SUMMARY_DIR:-reports/k6}"
mkdir -p "${SUMMARY_DIR}"
exec "${k6_bin}" run "$@" "k6/${scenario}.ts"
