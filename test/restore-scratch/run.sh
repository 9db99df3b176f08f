#!/bin/sh
# run.sh PROG [ARGS]: start PROG under the reaper, image it (mkimg or criu dump), restore with -d, compare maps and fds.
set -u
cd "$(dirname "$0")"
D=/tmp/rs-$(basename $1)
DUMPER=${DUMPER:-criu}
rm -rf $D; mkdir -p $D
./reaper "$@" > $D.out 2>&1 < /dev/null &
sleep ${WAIT:-1.2}
PID=$(awk '/ready/{print $2; exit}' $D.out)
cat /proc/$PID/maps > $D.maps.before; ls -l /proc/$PID/fd | awk 'NR>1{print $9,$10,$11}' > $D.fds.before
case $DUMPER in
mkimg) ./mkimg $PID $D 2> $D/dump.log ;;
*) ../../criu/criu dump -t $PID -D $D -v4 -o dump.log ;;
esac || { echo DUMP FAILED; tail $D/dump.log; exit 1; }
sleep 0.3
../../criu/criu restore -D $D -d -v4 -o restore.log; rc=$?
echo "restore rc $rc"
[ $rc = 0 ] || { grep -i -E "error|warn" $D/restore.log; exit 1; }
sleep ${AFTER:-1.5}
cat /proc/$PID/maps > $D.maps.after; ls -l /proc/$PID/fd | awk 'NR>1{print $9,$10,$11}' > $D.fds.after
diff $D.maps.before $D.maps.after > /dev/null && echo "maps: same" || { echo "maps: DIFFER"; diff $D.maps.before $D.maps.after; }
diff $D.fds.before $D.fds.after > /dev/null && echo "fds: same" || { echo "fds: DIFFER"; diff $D.fds.before $D.fds.after; }
cat /proc/$PID/status | grep -E "State|SigBlk|SigCgt"
tail -3 $D.out
echo "pid $PID"
