#!/bin/sh
# update_golden.sh -- regenerate tests/gen/golden_fixture.h after an intended
# change of the generator or the fixture.  Run from anywhere; review the diff.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/make_fixture.py" "$root/db/schema.sql" "$tmp/fixture.db" "$here/fixture.sql"
python3 "$root/gen/attnroute_gen.py" "$tmp/fixture.db" -o "$tmp/golden_fixture.h" \
  --name attnroute_table_fixture
cp "$tmp/golden_fixture.h" "$here/golden_fixture.h"
echo "updated $here/golden_fixture.h"
