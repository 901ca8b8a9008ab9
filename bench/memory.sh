#!/usr/bin/env bash
# Memory search benchmark: recall@10 of search_memory against exact search, and its
# latency, on N vectors (default 100,000) of the configured size (memory_dimensions()). It starts
# nothing: it takes the connection of a migrated database and runs everything through psql.
#
#   bench/memory.sh CONNECTION [--vectors N] [--queries Q] [--clusters C] [--keep] [--reuse]
#
#   CONNECTION   what psql takes: a URI (postgres://user@host:port/db) or "host=... dbname=..."; the
#                role needs EXECUTE on the memory functions and SELECT on agent_runtime.memories
#                (agent_runtime_admin, or a superuser)
#   --vectors    memories to load (default 100000)
#   --queries    searches measured (default 200)
#   --clusters   centers of the synthetic data (default 1000; 0: uniform random vectors)
#   --keep       leave the loaded memories in place (app "bench-memory") for another run
#   --reuse      measure the memories a --keep run left (no load)
#
# Data: unit vectors drawn around C random centers (Gaussian noise, seeded), like embeddings of
# texts on C topics; queries come from the same distribution. Each memory's content is a few words
# of a 2,000-word vocabulary, for the hybrid (query_text) latency. Everything is loaded through
# add_memory, so the HNSW index is built the way production builds it (insert by insert).
# Recall@10: for each query, |search_memory top 10 ∩ exact top 10| / 10, averaged; exact = the same
# ordering computed by a sequential scan (index scans off). Latency: server time of each
# search_memory call (clock_timestamp() around it inside one session, so no network or client in
# it); p50/p95/p99 in milliseconds. Output: one JSON object on stdout; progress on stderr.
set -euo pipefail

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
conn="$1"; shift
vectors=100000 queries=200 clusters=1000 keep=0 reuse=0
while [ $# -gt 0 ]; do
  case "$1" in
    --vectors) vectors="$2"; shift 2 ;;
    --queries) queries="$2"; shift 2 ;;
    --clusters) clusters="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --reuse) reuse=1; shift ;;
    *) usage ;;
  esac
done
for n in "$vectors" "$queries" "$clusters"; do [[ "$n" =~ ^[0-9]+$ ]] || usage; done
command -v psql >/dev/null || { echo "memory.sh: psql is required" >&2; exit 2; }

app="bench-memory"
log() { echo "memory.sh $(date +%H:%M:%S) $*" >&2; }
q() { psql "$conn" -X -v ON_ERROR_STOP=1 -q -At "$@"; }

dims="$(q -c "select agent_runtime.memory_dimensions()")"
# pgvector's schema, for the exact search this script runs itself
vs="$(q -c "select quote_ident(n.nspname) from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector'")"
log "database ready: memory_dimensions() = $dims, pgvector in schema $vs"
vocabulary="create temp table words as select w, md5(w::text) as word from generate_series(1, 2000) w;"

if [ "$reuse" = 0 ]; then
  existing="$(q -c "select count(*) from agent_runtime.memories where app_name = '$app'")"
  [ "$existing" = 0 ] || { echo "memory.sh: $existing memories of app $app exist: --reuse them, or delete them first" >&2; exit 1; }
  log "loading $vectors vectors ($clusters clusters) through add_memory"
  start=$(date +%s%N)
  q >/dev/null <<SQL
select setseed(0.42);
-- Centers (or none: uniform data) and a vocabulary, in temporary tables of this session.
create temp table centers as
  select c, array(select sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) from generate_series(1, $dims) where c > 0) as v
  from generate_series(1, greatest($clusters, 1)) c;
$vocabulary
select count(agent_runtime.add_memory('$app', 'u',
         (select string_agg(word, ' ') from words where w in (1 + (i * 7) % 2000, 1 + (i * 13) % 2000, 1 + (i * 31) % 2000)),
         array(select (case when $clusters = 0 then 0 else c.v[d] end)
                      + 0.35 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
               from generate_series(1, $dims) d)::real[],
         jsonb_build_object('cluster', c.c)))
from generate_series(1, $vectors) i
join centers c on c.c = 1 + (i % greatest($clusters, 1));
SQL
  load_seconds=$(awk -v ns="$(( $(date +%s%N) - start ))" 'BEGIN { printf "%.1f", ns / 1e9 }')
  log "loaded in ${load_seconds}s"
  q -c "analyze agent_runtime.memories" 2>/dev/null || log "could not analyze agent_runtime.memories (not its owner): autovacuum will"
else
  load_seconds=null
  vectors="$(q -c "select count(*) from agent_runtime.memories where app_name = '$app'")"
  log "reusing $vectors memories"
fi

log "measuring $queries searches"
result="$(q <<SQL
select setseed(0.17);
$vocabulary
create temp table queries as
  select n, (select m.embedding::real[] from agent_runtime.memories m where m.app_name = '$app' order by m.id offset (n * 7919) % $vectors limit 1) as base
  from generate_series(1, $queries) n;
-- A query near a stored memory but not equal to it: the same distribution as the data.
update queries set base = array(select b + 0.05 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) from unnest(base) b)::real[];
create temp table timings (n integer, kind text, ms double precision, ids bigint[]);
do \$\$
declare
  r record;
  t0 timestamptz;
  v_ids bigint[];
begin
  -- warm-up: the index's pages into shared buffers, as in a running system
  perform count(*) from (select agent_runtime.search_memory('$app', 'u', base, null, 10) from queries limit 20) w;
  for r in select * from queries order by n loop
    t0 := clock_timestamp();
    select array_agg(s.memory_id) into v_ids from agent_runtime.search_memory('$app', 'u', r.base, null, 10) s;
    insert into timings values (r.n, 'vector', extract(epoch from clock_timestamp() - t0) * 1000, v_ids);
    t0 := clock_timestamp();
    perform count(*) from agent_runtime.search_memory('$app', 'u', r.base, (select string_agg(word, ' ') from words where w in (1 + r.n % 2000, 1 + (r.n * 3) % 2000)), 10) s;
    insert into timings values (r.n, 'hybrid', extract(epoch from clock_timestamp() - t0) * 1000, null);
  end loop;
end
\$\$;
set enable_indexscan = off;
set enable_bitmapscan = off;
create temp table exact as
  select q.n, array(select m.id from agent_runtime.memories m where m.app_name = '$app' and m.user_id = 'u'
                    order by m.embedding operator($vs.<=>) q.base::$vs.vector, m.id limit 10) as ids
  from queries q;
select json_build_object(
  'vectors', $vectors,
  'dimensions', $dims,
  'clusters', $clusters,
  'queries', $queries,
  'k', 10,
  'load_seconds', $load_seconds,
  'recall_at_10', (select round(avg((select count(*) from unnest(t.ids) i where i = any (e.ids)) / 10.0), 4)
                   from timings t join exact e on e.n = t.n where t.kind = 'vector'),
  'latency_ms', (select json_object_agg(kind, json_build_object(
                   'p50', round(p[1]::numeric, 2), 'p95', round(p[2]::numeric, 2), 'p99', round(p[3]::numeric, 2),
                   'mean', round(mean::numeric, 2)))
                 from (select kind, percentile_cont(array[0.5, 0.95, 0.99]) within group (order by ms) as p, avg(ms) as mean
                       from timings group by kind) s),
  'server_version', current_setting('server_version'),
  'pgvector', (select extversion from pg_extension where extname = 'vector'),
  'hnsw', (select reloptions from pg_class where oid = 'agent_runtime.memories_embedding'::regclass),
  'search_settings', (select proconfig from pg_proc where oid = 'agent_runtime.search_memory(text,text,real[],text,integer,jsonb)'::regprocedure));
SQL
)"
echo "$result" | tail -n 1

if [ "$keep" = 0 ]; then
  log "deleting the bench's memories"
  q -c "select count(agent_runtime.delete_memory(id)) from agent_runtime.memories where app_name = '$app'" >/dev/null
fi
