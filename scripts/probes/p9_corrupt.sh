#!/bin/bash
# Probe 9: a DB with data (probe 5's, 12,000 edits, WAL checkpointed at shutdown), pages in the
# middle overwritten with random bytes; moai serve should exit 1 naming the damage.
set -u
OUT=${PROBE_OUT:-/tmp/moai-probes}
MOAI=${MOAI:-$(cd "$(dirname "$0")/../.." && pwd)/build/moai}
SRC=${SRC:-$(ls -td $OUT/p5-wal-*/ | head -1)sync.db}
W=$OUT/p9-corrupt; rm -rf $W; mkdir -p $W
PAGES=$(( $(stat -c %s $SRC) / 4096 ))
echo "source $SRC: $PAGES pages of 4 KiB; quick_check: $(sqlite3 $SRC 'pragma quick_check' | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
try() { # name, then dd/moai args via env
  local name=$1; shift
  cp $SRC $W/$name.db
  "$@"
  local t0=$(date +%s%N)
  timeout 60 $MOAI serve --host 127.0.0.1 --port 0 --db-path $W/$name.db --log-format text ${EXTRA:-} > $W/$name.log 2>&1 &
  local pid=$!
  for i in $(seq 30); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then
    echo "[$name] still running after 3 s: $(curl -s -m 2 -o /dev/null -w '%{http_code}' http://127.0.0.1:$(grep -o 'port=[0-9]*' $W/$name.log | head -1 | cut -d= -f2)/health 2>/dev/null)"; kill $pid; wait $pid; echo "  exit after SIGTERM $?"
  else
    wait $pid; local rc=$?; echo "[$name] exit $rc after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  fi
  grep -iE 'error|warn|damag|corrupt|malformed|check' $W/$name.log | cut -c1-400 | head -5 | sed 's/^/  /'
}
mid=$((PAGES / 2))
try mid16 dd if=/dev/urandom of=$W/mid16.db bs=4096 seek=$mid count=16 conv=notrunc status=none
try mid1 dd if=/dev/urandom of=$W/mid1.db bs=4096 seek=$((mid + 100)) count=1 conv=notrunc status=none
try header dd if=/dev/urandom of=$W/header.db bs=1 seek=100 count=200 conv=notrunc status=none
try first_pages dd if=/dev/urandom of=$W/first_pages.db bs=4096 seek=1 count=4 conv=notrunc status=none
try truncated truncate -s $(( PAGES * 4096 / 2 )) $W/truncated.db
EXTRA="--check-on-start false" try mid16_nocheck dd if=/dev/urandom of=$W/mid16_nocheck.db bs=4096 seek=$mid count=16 conv=notrunc status=none
h0=$(sha1sum < $W/mid16.db); echo "moai check on mid16.db:"; timeout 120 $MOAI check --db-path $W/mid16.db 2>&1 | tail -4 | cut -c1-300 | sed 's/^/  /'; echo "  exit ${PIPESTATUS[0]}"
echo "  file unchanged by moai check (no --repair): $([ "$h0" = "$(sha1sum < $W/mid16.db)" ] && echo yes || echo NO)"
