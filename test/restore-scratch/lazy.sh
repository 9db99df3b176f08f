#!/bin/sh
# lazy.sh PROG [ARGS]: like run.sh, but restore --lazy-pages from a local lazy-pages daemon.
# LAZYD: daemon command (default: criu lazy-pages).
# LAZYONLY=1: restore from a copy with lazy-only entries (as `dump --lazy-pages` leaves them);
# the daemon still reads the full images.
set -u
cd "$(dirname "$0")"
D=/tmp/rsl-$(basename $1)
CRIU=../../criu/criu
LAZYD=${LAZYD:-$CRIU}
rm -rf $D; mkdir -p $D
./reaper "$@" > $D.out 2>&1 < /dev/null &
sleep ${WAIT:-1.2}
PID=$(awk '/ready/{print $2; exit}' $D.out)
cat /proc/$PID/maps > $D.maps.before; ls -l /proc/$PID/fd | awk 'NR>1{print $9,$10,$11}' > $D.fds.before
$CRIU dump -t $PID -D $D -v4 -o dump.log ${DUMPOPTS:-} || { echo DUMP FAILED; tail $D/dump.log; exit 1; }
sleep 0.3
R=$D
if [ -n "${LAZYONLY:-}" ]; then
	R=$D.lazy
	./lazy-only.py $D $R || exit 1
	$CRIU restore -D $R -d -o plain.log && { echo "plain restore of lazy-only images worked?"; exit 1; }
	grep Error $R/plain.log | head -1
fi
$LAZYD lazy-pages -D $D --lazy-addr $D/uffd.sock -v4 -o $D/lazy-pages.log &
LPID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S $D/uffd.sock ] && break; sleep 0.1; done
$CRIU restore -D $R --lazy-pages --lazy-addr $D/uffd.sock -d -v4 -o restore.log; rc=$?
echo "restore rc $rc"
[ $rc = 0 ] || { grep -i -E "error|warn" $R/restore.log; kill $LPID; exit 1; }
cat /proc/$PID/maps > $D.maps.after; ls -l /proc/$PID/fd | awk 'NR>1{print $9,$10,$11}' > $D.fds.after
kill -USR1 $PID
sleep ${AFTER:-1.5}
wait $LPID; echo "lazy-pages rc $?"
diff $D.maps.before $D.maps.after > /dev/null && echo "maps: same" || { echo "maps: DIFFER"; diff $D.maps.before $D.maps.after; }
diff $D.fds.before $D.fds.after > /dev/null && echo "fds: same" || { echo "fds: DIFFER"; diff $D.fds.before $D.fds.after; }
grep State /proc/$PID/status
tail -3 $D.out
echo "pid $PID"
