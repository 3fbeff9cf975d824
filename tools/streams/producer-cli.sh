#!/bin/sh
# producer-cli.sh -- give forkpoold a task through Redis Streams with
# redis-cli alone, and wait for its answer.  An example:
#
#	sh producer-cli.sh [-h HOST] [-p PORT] [-w WHOLE_SECONDS] [STREAM]
#
# It adds to STREAM (default {jobs}:tasks; forkpoold consumes it when its
# configuration has a `source' block for it, forkpool.conf(5)) one task:
# method echo with the params [[1,2]], so that the answer's result is
# [1,2].  The fields of a task entry are method, params (the MessagePack
# encoding of the params array), and optional timeout (ms), retries, cid,
# reply_to and v ("1"); see tools/streams/producer.py for each.
#
# params is binary: MessagePack has no text form.  Here it is a fixed
# array written byte by byte with printf's octal escapes: [[1,2]] is
# 0x91 (an array of one element), 0x92 (an array of two), 0x01, 0x02.
# redis-cli -x reads the last argument of the command from stdin, so the
# bytes reach Redis unchanged.
#
# The answer is an entry of the reply stream (reply_to) with the fields
# re (the task's id), cid, res or err, dc (delivery count) and by (the
# daemon that answered).  res (the result) and err (an error map
# {"code": ..., "message": ...}) are MessagePack too: redis-cli shows them
# escaped, e.g. "\x92\x01\x02" for [1,2]; decode them with a MessagePack
# library.  The answer is read with XREAD BLOCK (at most -w seconds,
# default 30) from id 0 of a reply stream this script alone uses, which it
# deletes at the end.  Exit status: 0 for a result, 1 for an error answer,
# 2 for no answer in time.

set -eu

host=127.0.0.1
port=6379
wait=30
while getopts h:p:w: opt; do
	case $opt in
	h)	host=$OPTARG ;;
	p)	port=$OPTARG ;;
	w)	case $OPTARG in
		''|*[!0-9]*)
			echo "producer-cli.sh: -w takes whole seconds" >&2
			exit 64 ;;
		esac
		wait=$OPTARG ;;
	*)	echo "usage: producer-cli.sh [-h HOST] [-p PORT] [-w SECONDS]" \
		    "[STREAM]" >&2
		exit 64 ;;
	esac
done
shift $((OPTIND - 1))
stream=${1:-"{jobs}:tasks"}

cli() {
	redis-cli -h "$host" -p "$port" "$@"
}

# The reply stream's name starts with the task stream's, so it carries the
# same hash tag ({jobs}), as a Redis Cluster requires.
reply="$stream:reply:$(uname -n)-$$"
cid="cli-$$"

# params last: -x appends stdin to the command as its last argument.
id=$(printf '\221\222\001\002' | cli -x XADD "$stream" '*' method echo \
    cid "$cid" reply_to "$reply" v 1 params)
case $id in
[0-9]*-[0-9]*) ;;
*)	echo "producer-cli.sh: XADD failed: $id" >&2
	exit 1 ;;
esac
echo "task $id (cid $cid) added to $stream; waiting on $reply" >&2

# --no-raw: readable output, with binary values (res, err) escaped.
answer=$(cli --no-raw XREAD BLOCK "$((wait * 1000))" STREAMS "$reply" 0)
cli DEL "$reply" >/dev/null
printf '%s\n' "$answer"
case $answer in
*'"res"'*)	exit 0 ;;
*'"err"'*)	exit 1 ;;
*)		echo "producer-cli.sh: no answer within $wait s" >&2
		exit 2 ;;
esac
