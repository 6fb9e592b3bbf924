#!/usr/bin/env bash
# govulncheck for `make lint`: fails on any known vulnerability in code the
# binary calls, except those in govulncheck.accepted (each with its reason).
#
# Where vuln.go.dev cannot be reached (these machines reach only the Go
# module proxy), the database is built offline from the snapshot the proxy
# serves as the module golang.org/x/vulndb (data/osv, indexed with its own
# cmd/indexdb), and the script says so: the result is as fresh as that
# snapshot, not as the live database.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VULN_VERSION=${VULN_VERSION:?}
VULNDB_VERSION=${VULNDB_VERSION:?}
govulncheck=("$GO" run "golang.org/x/vuln/cmd/govulncheck@$VULN_VERSION")
out=$(mktemp)
trap 'rm -f "$out"' EXIT

db_args=()
if ! "${govulncheck[@]}" -format text ./... >"$out" 2>&1; then
  if grep -q "fetching vulnerabilities" "$out"; then
    echo "govulncheck: vuln.go.dev is unreachable from this machine:"
    grep "fetching vulnerabilities" "$out" | sed 's/^/  /'
    db="bin/vulndb-$VULNDB_VERSION"
    if [ ! -f "$db/index/db.json" ]; then
      src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
      rm -rf "$db.tmp" && "$GO" run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$db.tmp"
      mv "$db.tmp" "$db"
    fi
    echo "govulncheck: using instead the OFFLINE SNAPSHOT golang.org/x/vulndb@$VULNDB_VERSION from the Go module proxy"
    stamp=$(echo "$VULNDB_VERSION" | sed -n 's/^v0\.0\.0-\([0-9]\{4\}\)\([0-9]\{2\}\)\([0-9]\{2\}\).*/\1-\2-\3/p')
    echo "             (committed $stamp); advisories published after it are NOT checked."
    db_args=(-db "file://$PWD/$db")
    "${govulncheck[@]}" "${db_args[@]}" -format text ./... >"$out" 2>&1 || true
  fi
fi
if grep -q "^govulncheck:" "$out"; then
  cat "$out"
  exit 1
fi
found=$(sed -n 's/^Vulnerability #[0-9]*: \(GO-[0-9-]*\).*/\1/p' "$out" | sort -u)
fail=0
for id in $found; do
  reason=$(sed -n "s/^$id[[:space:]]\{1,\}//p" govulncheck.accepted)
  summary=$(grep -A1 "^Vulnerability #[0-9]*: $id" "$out" | tail -1 | sed 's/^ *//')
  if [ -n "$reason" ]; then
    echo "ACCEPTED  $id  $summary"
    echo "          why: $reason"
  else
    echo "FOUND     $id  $summary"
    fail=1
  fi
done
if [ "$fail" = 1 ]; then
  echo
  cat "$out"
  echo "govulncheck: vulnerabilities in called code (above) are not in govulncheck.accepted"
  exit 1
fi
# Say plainly what the accepted ones mean: the standard library's are fixed
# only by a newer Go than this toolchain (no toolchain download here).
stdlib=0
for id in $found; do
  if sed -n "s/^$id[[:space:]]\{1,\}//p" govulncheck.accepted | grep -q "^Standard library"; then stdlib=$((stdlib + 1)); fi
done
if [ "$stdlib" -gt 0 ]; then
  echo "govulncheck: $stdlib of the accepted are in the Go standard library and are fixed only by a newer Go"
  echo "             (1.26.9 / 1.26.10); this build uses $("$GO" env GOVERSION). They stay until Go is upgraded."
fi
echo "govulncheck: no vulnerability in called code beyond the accepted ones ($(echo "$found" | grep -c . || true) accepted)"
