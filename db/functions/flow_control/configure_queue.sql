-- Sets a queue's flow control (admin). Its options (option_catalog(), scope 'queue'): "paused"
-- (claims skip the queue; running steps finish), "concurrency_limit" (at most this many of its
-- steps run at once across all hosts), "rate_per_second" (claims beyond the rate wait: a token
-- bucket, refilled continuously) with "burst" (the most tokens saved up, default max(1, rate)),
-- "tokens_per_minute" (the model tokens its steps may use per minute, across all hosts: a bucket
-- of a minute's worth that record_usage debits; claims skip the queue while it holds less than
-- one). A new rate or tokens_per_minute starts with a full bucket.
-- Keys left out keep their value; a JSON null sets an option's default (no limit, not paused).
-- An unknown key is AR003, a bad value or queue name AR001; nothing is written then. Returns
-- the queue's settings.
create or replace function agent_runtime.configure_queue(queue text, options jsonb)
returns jsonb
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_opts jsonb := coalesce(configure_queue.options, '{}'::jsonb);
  v_given jsonb;
  v_set jsonb;
  v_queue agent_runtime.queues;
begin
  -- GUARD
  perform agent_runtime._check_json(configure_queue.options, 'options');
  perform agent_runtime._check_name(configure_queue.queue, 'queue');
  -- the options given, each with its value or (given as JSON null) its default
  v_given := (agent_runtime._check_options('queue', array[v_opts]))[1];
  select coalesce(jsonb_object_agg(k.key, v_given -> k.key), '{}'::jsonb) into v_set
  from jsonb_object_keys(v_opts) as k(key);

  -- MUTATE
  insert into agent_runtime.queues as q (name) values (configure_queue.queue)
  on conflict on constraint queues_pkey do nothing;
  update agent_runtime.queues q
  set (paused, concurrency_limit, rate_per_second, burst, tokens_per_minute) =
        (select n.paused, n.concurrency_limit, n.rate_per_second, n.burst, n.tokens_per_minute from jsonb_populate_record(q, v_set) n),
      tokens = case when v_set ?| array['rate_per_second', 'burst'] then null else q.tokens end,
      refilled_at = case when v_set ?| array['rate_per_second', 'burst'] then null else q.refilled_at end,
      model_tokens = case when v_set ? 'tokens_per_minute' then null else q.model_tokens end,
      model_tokens_at = case when v_set ? 'tokens_per_minute' then null else q.model_tokens_at end,
      updated_at = now()
  where q.name = configure_queue.queue
  returning * into v_queue;
  insert into agent_runtime.events (type, data)
  values ('queue.configured', jsonb_build_object('queue', v_queue.name, 'paused', v_queue.paused,
          'concurrency_limit', v_queue.concurrency_limit, 'rate_per_second', v_queue.rate_per_second, 'burst', v_queue.burst,
          'tokens_per_minute', v_queue.tokens_per_minute));

  -- NOTIFY: a resumed or widened queue may have work to claim now
  perform pg_notify('agent_runtime_wakeup', s.agent)
  from (select distinct s.agent from agent_runtime.steps s
        where s.status = 'ready' and s.queue = configure_queue.queue and s.agent is not null) s;
  return jsonb_build_object('queue', v_queue.name, 'paused', v_queue.paused, 'concurrency_limit', v_queue.concurrency_limit,
                            'rate_per_second', v_queue.rate_per_second, 'burst', v_queue.burst,
                            'tokens_per_minute', v_queue.tokens_per_minute);
end
$$;
