#!/usr/bin/env bash
# Regenerates docs/generated/ from the ODS definitions (dialect, ops, interface,
# passes). The `docs-up-to-date` test fails until this has been run after an
# ODS change.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
cmake --build "$BUILD" --target sstep-doc
mkdir -p docs/generated
for f in SStepDialect SpatialOpInterface DifferentiableOpInterface Passes; do
  cp "$BUILD/docs/$f.md" "docs/generated/$f.md"
done
echo "docs/generated/ updated"
