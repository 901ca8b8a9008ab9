-- The steps a claim may take, locked (FOR UPDATE SKIP LOCKED, so concurrent claimers pass each
-- other by): ready and due steps of the given agents and queues, not in a paused queue, in fair
-- share order. Each agent's tenants (fair_key) form lanes, found by skipping through steps_ready
-- (one index probe per tenant); a lane gets a share of max_steps by its weight
-- (fairness_weights, default 1), taken in claim order (priority, then due time) from one range of
-- steps_ready. Lanes that filled their share take, in turn, what other lanes left unused, so a
-- claim comes back short only when there is nothing more to take. lane_rank orders the
-- candidates round-robin across lanes (a tenant's n-th step divided by its weight). With one
-- tenant this is the walk claims made before fair share: one lane, one range of the index.
create or replace function agent_runtime._lock_claim_candidates(
  agents text[], queues text[], max_steps integer, paused text[])
returns table (step_id bigint, lane_rank double precision, priority integer, run_at timestamptz,
               queue text, concurrency_key text, concurrency_limit integer)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
#variable_conflict use_column
declare
  v_agent text[];
  v_key text[];
  v_weight double precision[];
  v_share integer[];
  v_ids bigint[];
  v_lane integer[];
  v_rank double precision[];
  v_priority integer[];
  v_run_at timestamptz[];
  v_queue text[];
  v_ckey text[];
  v_climit integer[];
  v_full integer[];
  v_short integer;
begin
  -- the lanes: every tenant with ready steps, of every agent
  select array_agg(a.name order by a.ord, k.fair_key), array_agg(k.fair_key order by a.ord, k.fair_key),
         array_agg(coalesce(w.weight, 1) order by a.ord, k.fair_key)
    into v_agent, v_key, v_weight
  from unnest(agents) with ordinality as a(name, ord)
  cross join lateral (
    with recursive keys(fair_key) as (
      (select s.fair_key from agent_runtime.steps s
       where s.status = 'ready' and s.agent = a.name order by s.fair_key limit 1)
      union all
      select (select s.fair_key from agent_runtime.steps s
              where s.status = 'ready' and s.agent = a.name and s.fair_key > k.fair_key order by s.fair_key limit 1)
      from keys k where k.fair_key is not null
    )
    select keys.fair_key from keys where keys.fair_key is not null
  ) k
  left join agent_runtime.fairness_weights w on w.fair_key = k.fair_key;
  if v_agent is null then
    return;
  end if;
  select array_agg(greatest(1, ceil(max_steps * w / (select sum(x) from unnest(v_weight) as x)))::integer order by ord)
    into v_share
  from unnest(v_weight) with ordinality as u(w, ord);

  -- each lane's share
  select array_agg(c.id order by c.lane, c.nth), array_agg(c.lane order by c.lane, c.nth),
         array_agg(c.nth / c.weight order by c.lane, c.nth), array_agg(c.priority order by c.lane, c.nth),
         array_agg(c.run_at order by c.lane, c.nth), array_agg(c.queue order by c.lane, c.nth),
         array_agg(c.concurrency_key order by c.lane, c.nth), array_agg(c.concurrency_limit order by c.lane, c.nth)
    into v_ids, v_lane, v_rank, v_priority, v_run_at, v_queue, v_ckey, v_climit
  from (
    select l.lane, l.weight, s.*, row_number() over (partition by l.lane order by s.priority desc, s.run_at, s.id) as nth
    from unnest(v_agent, v_key, v_weight, v_share) with ordinality as l(agent, fair_key, weight, share, lane)
    cross join lateral (
      select s.id, s.priority, s.run_at, s.queue, s.concurrency_key, s.concurrency_limit
      from agent_runtime.steps s
      where s.status = 'ready' and s.agent = l.agent and s.fair_key = l.fair_key and s.run_at <= now()
        and (queues is null or s.queue = any (queues))
        and (paused is null or s.queue <> all (paused))
      order by s.priority desc, s.run_at, s.id
      limit l.share
      for update skip locked
    ) s
  ) c;

  -- what lanes left unused, to the lanes that filled their share
  v_short := max_steps - coalesce(cardinality(v_ids), 0);
  select array_agg(l.lane) into v_full
  from unnest(v_share) with ordinality as l(share, lane)
  where l.share = (select count(*) from unnest(v_lane) as x where x = l.lane);
  if v_short > 0 and v_full is not null then
    select v_ids || array_agg(c.id order by c.lane, c.nth), v_lane || array_agg(c.lane order by c.lane, c.nth),
           v_rank || array_agg((c.share + c.nth) / c.weight order by c.lane, c.nth),
           v_priority || array_agg(c.priority order by c.lane, c.nth), v_run_at || array_agg(c.run_at order by c.lane, c.nth),
           v_queue || array_agg(c.queue order by c.lane, c.nth), v_ckey || array_agg(c.concurrency_key order by c.lane, c.nth),
           v_climit || array_agg(c.concurrency_limit order by c.lane, c.nth)
      into v_ids, v_lane, v_rank, v_priority, v_run_at, v_queue, v_ckey, v_climit
    from (
      select l.lane, l.weight, l.share, s.*, row_number() over (partition by l.lane order by s.priority desc, s.run_at, s.id) as nth
      from unnest(v_agent, v_key, v_weight, v_share) with ordinality as l(agent, fair_key, weight, share, lane)
      cross join lateral (
        select s.id, s.priority, s.run_at, s.queue, s.concurrency_key, s.concurrency_limit
        from agent_runtime.steps s
        where s.status = 'ready' and s.agent = l.agent and s.fair_key = l.fair_key and s.run_at <= now()
          and (queues is null or s.queue = any (queues))
          and (paused is null or s.queue <> all (paused))
          and s.id <> all (v_ids)
        order by s.priority desc, s.run_at, s.id
        limit v_short
        for update skip locked
      ) s
      where l.lane = any (v_full)
    ) c;
  end if;

  return query
  select u.id, u.rank, u.priority, u.run_at, u.queue, u.ckey, u.climit
  from unnest(v_ids, v_rank, v_priority, v_run_at, v_queue, v_ckey, v_climit)
       as u(id, rank, priority, run_at, queue, ckey, climit)
  where u.id is not null;
end
$$;
