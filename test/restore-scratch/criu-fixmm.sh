#!/bin/bash
# criu wrapper for zdtm.py --criu: dump with -R, patch mm-PID.img with the right
# /proc/PID/stat mm fields (proc-parse.c parse_stat is off by one), then kill the task.
# Only until parse_stat is fixed.
HERE=$(dirname "$(readlink -f "$0")")
CRIU=$HERE/../../criu/criu
[ "$1" = dump ] || exec "$CRIU" "$@"
args=("$@"); pid=; dir=.; wd=
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[i]}" in
	-t) pid=${args[i+1]} ;;
	-D) dir=${args[i+1]} ;;
	esac
done
"$CRIU" "$@" -R || exit $?
"$HERE/mkimg" --fix-mm "$pid" "$dir" || exit 1
kill -9 "$pid"
