/*
 * source_scripts.c -- the Lua scripts of source.c (source_scripts.h).
 * Each runs atomically in Redis: no other command runs between its
 * steps, which is what makes an answer at most once per entry (the
 * pending check, the reply and the XACK together) and a claim safe
 * against a peer's (the idle check and the XCLAIM together).  All keys a script
 * touches derive from the stream's name or the entry's reply_to, which
 * carry the same hash tag in a Redis Cluster.
 */
#include "source_scripts.h"


/*
 * ANSWER.  KEYS: stream, done marker[, reply stream].  ARGV: group, id,
 * mark, done-ttl, reply-maxlen, reply-ttl, then the answer's fields.
 * An entry is answered only while it is pending: the reply and the XACK
 * go together, so a pending entry is one nobody has answered, and the
 * second answer of an entry (a stale owner's, a peer's after a claim)
 * finds it acked and is suppressed, however late it comes.  The done
 * marker (kept done-ttl, if not 0) only names who answered, so that a
 * try of ours whose reply was lost with the connection, sent again, is
 * told from another's answer.
 * {1} answered; {2} answered by an earlier try of ours; {0} suppressed;
 * {-1, why} the reply could not be written (acked all the same: nobody
 * could be answered).
 */
static const char script_answer[] =
"if not redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1]\n"
"    then\n"
"  if redis.call('GET', KEYS[2]) == ARGV[3] then return {2, ''} end\n"
"  return {0, ''}\n"
"end\n"
"local r, why = 1, ''\n"
"if tonumber(ARGV[4]) > 0 then\n"
"  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])\n"
"end\n"
"if #KEYS == 3 then\n"
"  local ok = redis.pcall('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*',\n"
"      unpack(ARGV, 7))\n"
"  if type(ok) == 'table' and ok.err then r, why = -1, ok.err\n"
"  elseif tonumber(ARGV[6]) > 0 then\n"
"    redis.call('PEXPIRE', KEYS[3], ARGV[6])\n"
"  end\n"
"end\n"
"redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
"return {r, why}\n";

/*
 * CLAIM: take the listed entries that are ours (mode own: recovery) or
 * idle past min-idle (mode idle); dead-letter those delivered
 * max-deliveries times already; claim at most `max' of the others.
 * KEYS: stream, dead-letter stream (the stream itself if none).  ARGV:
 * group, me, mode, min-idle, max-deliveries, mark, done-ttl,
 * reply-maxlen, reply-ttl, dead-maxlen, dead (1/0), done-key prefix, max,
 * ids...  An entry dead-lettered is answered dead_lettered and acked in
 * the same step (it was pending: nobody had answered it); not to a
 * reply_to that is one of the source's own keys; its copy keeps 3,500
 * fields at most (Lua's unpack takes ~8,000 values: more would fail the
 * script after the answer, for ever), with `cut' the number it had.  Returns
 * {claimed {id, fields, dc, from}..., dead {id, dc, from, cid}...,
 * lost ids...}.
 */
static const char script_claim[] =
"local s, g, me = KEYS[1], ARGV[1], ARGV[2]\n"
"local own, minidle = ARGV[3] == 'own', tonumber(ARGV[4])\n"
"local maxd, max = tonumber(ARGV[5]), tonumber(ARGV[13])\n"
"local claimed, dead, lost = {}, {}, {}\n"
"local function ownkey(k)\n"
"  return k == s or k == KEYS[2] or\n"
"      string.find(k, s .. ':alive:', 1, true) == 1 or\n"
"      string.find(k, s .. ':done:', 1, true) == 1\n"
"end\n"
"for i = 14, #ARGV do\n"
"  local id = ARGV[i]\n"
"  local p = redis.call('XPENDING', s, g, id, id, 1)[1]\n"
"  if p and ((own and p[2] == me) or (not own and p[3] >= minidle)) and\n"
"      (p[4] >= maxd or #claimed < max) then\n"
"    local e = redis.call('XCLAIM', s, g, me, own and 0 or minidle, id)[1]\n"
"    if not e then\n"
"      redis.call('XACK', s, g, id)\n"
"      lost[#lost + 1] = id\n"
"    elseif p[4] >= maxd then\n"
"      local f, rt, cid = e[2], nil, nil\n"
"      for j = 1, #f, 2 do\n"
"        if f[j] == 'reply_to' then rt = f[j + 1]\n"
"        elseif f[j] == 'cid' then cid = f[j + 1] end\n"
"      end\n"
"      if tonumber(ARGV[7]) > 0 then\n"
"        redis.call('SET', ARGV[12] .. id, ARGV[6], 'PX', ARGV[7])\n"
"      end\n"
"      if rt and rt ~= '' and not ownkey(rt) then\n"
"        local a = {'re', id}\n"
"        if cid then a[#a + 1] = 'cid'; a[#a + 1] = cid end\n"
"        a[#a + 1] = 'err'\n"
"        a[#a + 1] = cmsgpack.pack({code = 'dead_lettered', message =\n"
"            'delivered ' .. p[4] .. ' times without an answer'})\n"
"        a[#a + 1] = 'dc'; a[#a + 1] = tostring(p[4])\n"
"        a[#a + 1] = 'by'; a[#a + 1] = me\n"
"        local ok = redis.pcall('XADD', rt, 'MAXLEN', '~', ARGV[8], '*',\n"
"            unpack(a))\n"
"        if not (type(ok) == 'table' and ok.err) and\n"
"            tonumber(ARGV[9]) > 0 then\n"
"          redis.call('PEXPIRE', rt, ARGV[9])\n"
"        end\n"
"      end\n"
"      if ARGV[11] == '1' then\n"
"        local d = {'re', id, 'dc', tostring(p[4]), 'by', me, 'from', p[2],\n"
"            'reason', 'max-deliveries'}\n"
"        local n = #f > 7000 and 7000 or #f\n"
"        for j = 1, n do d[#d + 1] = f[j] end\n"
"        if n < #f then d[#d + 1] = 'cut'; d[#d + 1] = tostring(#f / 2) end\n"
"        redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], '*',\n"
"            unpack(d))\n"
"      end\n"
"      dead[#dead + 1] = {id, p[4], p[2], cid or ''}\n"
"      redis.call('XACK', s, g, id)\n"
"    else\n"
"      claimed[#claimed + 1] = {id, e[2], p[4] + 1, p[2]}\n"
"    end\n"
"  end\n"
"end\n"
"return {claimed, dead, lost}\n";

/*
 * RENEW: reset the idle time of the listed entries still ours (XCLAIM
 * JUSTID by the owner: no delivery counted), list those that are not,
 * and refresh the lease key.  An entry trimmed from the stream while we
 * hold it is left as it is: XCLAIM would drop it from the pending list
 * (Redis 7), and then its answer would find it acked; pending, it is
 * answered as any other, unless a peer claims it first (and counts it
 * lost).  KEYS: stream, lease.  ARGV: group, me,
 * lease value, lease ttl, ids...  Returns {lease held (1/0), lost ids}.
 */
static const char script_renew[] =
"local lost = {}\n"
"for i = 5, #ARGV do\n"
"  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]\n"
"  if p and p[2] == ARGV[2] then\n"
"    if #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i]) > 0 then\n"
"      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')\n"
"    end\n"
"  else\n"
"    lost[#lost + 1] = ARGV[i]\n"
"  end\n"
"end\n"
"local v, held = redis.call('GET', KEYS[2]), 1\n"
"if not v then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])\n"
"elseif v == ARGV[3] then redis.call('PEXPIRE', KEYS[2], ARGV[4])\n"
"else held = 0 end\n"
"return {held, lost}\n";

/*
 * LEASE: take the lease key if it is free, ours, or the value we found
 * to name a dead process of this host.  KEYS: lease.  ARGV: value, ttl,
 * the value that may be taken over ('' none).  '' if taken, else the
 * holder's value.
 */
static const char script_lease[] =
"local v = redis.call('GET', KEYS[1])\n"
"if not v or v == ARGV[1] or (ARGV[3] ~= '' and v == ARGV[3]) then\n"
"  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
"  return ''\n"
"end\n"
"return v\n";

/*
 * RELEASE: make the listed entries (all of ours if none is listed)
 * claimable at once: XCLAIM ... IDLE claim-idle JUSTID by their owner.
 * With none listed (the stop), also delete the consumer if nothing is
 * left pending (nothing is ever dropped) and the lease key if ours.
 * KEYS: stream, lease.  ARGV: group, me, idle, lease value, ids...
 * Returns how many were released.
 */
static const char script_release[] =
"local s, g, me, ids = KEYS[1], ARGV[1], ARGV[2], {}\n"
"if #ARGV > 4 then\n"
"  for i = 5, #ARGV do\n"
"    local p = redis.call('XPENDING', s, g, ARGV[i], ARGV[i], 1)[1]\n"
"    if p and p[2] == me then ids[#ids + 1] = ARGV[i] end\n"
"  end\n"
"else\n"
"  for _, p in ipairs(redis.call('XPENDING', s, g, '-', '+', 10000, me)) do\n"
"    ids[#ids + 1] = p[1]\n"
"  end\n"
"end\n"
"for _, id in ipairs(ids) do\n"
"  redis.call('XCLAIM', s, g, me, 0, id, 'IDLE', ARGV[3], 'JUSTID')\n"
"end\n"
"if #ARGV == 4 then\n"
"  if #ids == 0 then redis.call('XGROUP', 'DELCONSUMER', s, g, me) end\n"
"  if redis.call('GET', KEYS[2]) == ARGV[4] then\n"
"    redis.call('DEL', KEYS[2])\n"
"  end\n"
"end\n"
"return #ids\n";

const char *const source_scripts[NSCRIPTS] = { script_answer, script_claim,
	script_renew, script_lease, script_release };
