#!/bin/sh
# json_handlers.sh -- json.encode and json.decode through the daemon and
# forkpool(1): options, results, typed errors with positions, and a round
# trip of a larger document through raw MessagePack.
# shellcheck disable=SC2119,SC2016
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_start -w 2

fp_call_ok '{"text":"{\"a\":[1,2.5,\"x\\u2028\",null,true],\"b\":18446744073709551615}","truncated":false,"size":58}' \
    "encode compact" json.encode \
    '{"a":[1,2.5,"x\u2028",null,true],"b":18446744073709551615}'
fp_call_ok '{"text":"[\n  1,\n  {}\n]","truncated":false,"size":13}' \
    "encode pretty" json.encode '[1,{}]' '{"pretty":true}'
fp_call_ok '{"text":"\"h\u00e9","truncated":true,"size":7}' \
    "encode truncated at a character boundary" json.encode '"héé"' \
    '{"max_size":4,"truncate":true}'
fp_call_err too_large "max_size" "encode over max_size" json.encode \
    '"abcdef"' '{"max_size":3}'
fp_call_err invalid_params "unknown option" "encode unknown option" \
    json.encode 1 '{"indent":2}'
fp_call_err invalid_params "params" "encode without a value" json.encode
fp_call_ok '{"text":"{\"b\":[{\"d\":1,\"c\":0},3],\"a\":{\"y\":1,\"x\":2}}","truncated":false,"size":41}' \
    "encode unsorted" json.encode '{"b":[{"d":1,"c":0},3],"a":{"y":1,"x":2}}'
fp_call_ok '{"text":"{\"a\":{\"x\":2,\"y\":1},\"b\":[{\"c\":0,\"d\":1},3]}","truncated":false,"size":41}' \
    "encode sort_keys" json.encode '{"b":[{"d":1,"c":0},3],"a":{"y":1,"x":2}}' \
    '{"sort_keys":true}'
fp_call_ok '{"text":"{\n \"a\": 1,\n \"b\"","truncated":true,"size":20}' \
    "encode sort_keys, pretty, truncated" json.encode '{"b":2,"a":1}' \
    '{"sort_keys":true,"pretty":1,"max_size":15,"truncate":true}'
fp_call_err invalid_params "sort_keys must be a boolean" \
    "encode sort_keys not a boolean" json.encode 1 '{"sort_keys":1}'

fp_call_ok '[1,2.5,{"k":"v"},18446744073709551615,-9223372036854775808]' \
    "decode" json.decode \
    '"[1, 2.5, {\"k\": \"v\"}, 18446744073709551615, -9223372036854775808]"'
fp_call_err invalid_params "line 2 column 4 .offset 7." "decode error position" \
    json.decode '"[1,\n 2,]"'
fp_call_err invalid_params "unpaired surrogate" "decode lone surrogate" \
    json.decode '"[\"\\ud800\"]"'
fp_call_err invalid_params "range" "decode bignum error" json.decode \
    '"18446744073709551616"' '{"bignum":"error"}'
fp_call_ok '"18446744073709551616"' "decode bignum string" json.decode \
    '"18446744073709551616"' '{"bignum":"string"}'
fp_call_err too_large "" "decode over max_size" json.decode '"[1,2,3]"' \
    '{"max_size":3}'

# A round trip of a few thousand records, value sent as MessagePack.
fp_py <<'PY' || fp_fail "json round trip (see above)"
import json, os, sys
import fpclient as fc
c = fc.Conn(os.environ["FP_SOCK"])
recs = [{"id": i, "name": "n%d" % i, "tags": ["a", "b\n", "ü"],
         "score": (2 * i + 1) / 8.0, "active": i % 2 == 0,
         "nested": {"a": -i, "b": None}} for i in range(3000)]
err, res = c.call("json.encode", [recs])
if err is not None:
    sys.exit("encode failed: %r" % (err,))
text = res["text"]
if json.loads(text) != recs or res["size"] != len(text.encode()):
    sys.exit("encode: text does not decode to the records")
err, res = c.call("json.decode", [text])
if err is not None or res != recs:
    sys.exit("decode: %r" % (err,))
print("round trip of %d bytes ok" % len(text))
# sort_keys: byte for byte what Python's json.dumps(sort_keys=True) writes
# (code point order: U+FFFF before U+1F600, unlike JavaScript's sort()).
keys = ["b", "a", "\u00e9", "\uffff", "\U0001f600", "Z", "10", "9", "",
        "a\u0000", "ab"]
doc = [{k: i for i, k in enumerate(keys)}, recs[:200]]
err, res = c.call("json.encode", [doc, {"sort_keys": True}])
want = json.dumps(doc, sort_keys=True, separators=(",", ":"),
                  ensure_ascii=False)
if err is not None or res["text"] != want:
    sys.exit("sort_keys: %r\n%r\nwant %r" % (err, res and res["text"][:300],
                                            want[:300]))
print("sort_keys like json.dumps ok")
PY

fp_stop_clean
