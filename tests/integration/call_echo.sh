#!/bin/sh
# call_echo.sh -- `forkpool call echo VALUE' prints VALUE back as one line
# of JSON, through the JSON <-> MessagePack mapping of forkpool(1): every
# JSON type, the integer extremes exact, beyond them a float64, escapes and
# non-ASCII text, nested empties.  (The other calls: call_builtins.sh,
# call_bad_params.sh, notify.sh, cli_usage_errors.sh, cli_no_daemon.sh,
# handlers_list.sh, error_codes.sh.)
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

j='{"a":[1,2.5,"x",null,true]}'
fp_call_ok "$j" "call echo $j" echo "$j"
fp_call_ok '"hi"' 'call echo "hi"' echo '"hi"'
fp_call_ok '[]' 'call echo []' echo '[]'
fp_call_ok '{}' 'call echo {}' echo '{}'
fp_call_ok 'false' 'call echo false' echo false
fp_call_ok '-7' 'call echo -7' echo -7
fp_call_ok '18446744073709551615' 'echo of UINT64_MAX (exact)' echo \
    18446744073709551615
fp_call_ok '-9223372036854775808' 'echo of INT64_MIN (exact)' echo \
    -9223372036854775808
fp_call_ok '18446744073709552000' 'echo of 2^64 (beyond uint64: float64)' \
    echo 18446744073709551616
fp_call_ok '0.1' 'call echo 0.1' echo 0.1
fp_call_ok '-1.5e300' 'call echo -1.5e300' echo -1.5e300
fp_call_ok '"h\u00e9llo \"q\" \\ \n\t\u0001 \u20ac \ud83d\ude00"' \
    'echo of a string with escapes and non-ASCII' echo \
    '"h\u00e9llo \"q\" \\ \n\t\u0001 € 😀"'
fp_call_ok '{"k":{"n":[[],[{}]],"e":""}}' 'echo of nested empties' echo \
    '{"k":{"n":[[],[{}]],"e":""}}'
fp_stop_clean
