#!/usr/bin/env bash
# stop-sts.sh -- stop the moto STS that start-sts.sh started on PORT (default 5055).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/start-sts.sh" stop "${1:-5055}"
