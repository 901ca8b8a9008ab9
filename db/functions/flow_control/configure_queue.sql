-- Sets a queue's flow control (admin): "paused" (claims skip the queue; running steps finish),
-- "concurrency_limit" (at most this many of its steps run at once across all hosts),
-- "rate_per_second" (claims beyond the rate wait: a token bucket, refilled continuously) with
-- "burst" (the most tokens saved up, default max(1, rate)). A JSON null removes a limit; keys
-- left out keep their value. Unknown keys are AR003. Returns the queue's settings.
create or replace function agent_runtime.configure_queue(queue text, options jsonb)
returns jsonb
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_opts jsonb := coalesce(configure_queue.options, '{}'::jsonb);
  v_queue agent_runtime.queues;
begin
  -- GUARD
  perform agent_runtime._check_json(configure_queue.options, 'options');
  perform agent_runtime._check_name(configure_queue.queue, 'queue');
  perform agent_runtime._check_object(v_opts, 'options');
  perform agent_runtime._check_keys(v_opts, array['paused', 'concurrency_limit', 'rate_per_second', 'burst'], 'queue options');
  if v_opts ? 'paused' and jsonb_typeof(v_opts -> 'paused') <> 'boolean' then
    raise exception using errcode = 'AR001',
      message = format('option "paused" must be true or false, got %s', agent_runtime._quote((v_opts -> 'paused')::text)),
      hint = 'Pause with {"paused": true}, resume with {"paused": false}.';
  end if;
  perform agent_runtime._option_integer(v_opts, 'concurrency_limit', 1, 100000);
  perform agent_runtime._option_number(v_opts, 'rate_per_second', 0.001, 100000);
  perform agent_runtime._option_number(v_opts, 'burst', 1, 1000000);

  -- MUTATE
  insert into agent_runtime.queues as q (name) values (configure_queue.queue)
  on conflict on constraint queues_pkey do nothing;
  update agent_runtime.queues q
  set paused = coalesce((v_opts ->> 'paused')::boolean, q.paused),
      concurrency_limit = case when v_opts ? 'concurrency_limit'
                               then agent_runtime._option_integer(v_opts, 'concurrency_limit', 1, 100000) else q.concurrency_limit end,
      rate_per_second = case when v_opts ? 'rate_per_second'
                             then agent_runtime._option_number(v_opts, 'rate_per_second', 0.001, 100000) else q.rate_per_second end,
      burst = case when v_opts ? 'burst' then agent_runtime._option_number(v_opts, 'burst', 1, 1000000) else q.burst end,
      tokens = case when v_opts ? 'rate_per_second' or v_opts ? 'burst' then null else q.tokens end,
      refilled_at = case when v_opts ? 'rate_per_second' or v_opts ? 'burst' then null else q.refilled_at end,
      updated_at = now()
  where q.name = configure_queue.queue
  returning * into v_queue;
  insert into agent_runtime.events (type, data)
  values ('queue.configured', jsonb_build_object('queue', v_queue.name, 'paused', v_queue.paused,
          'concurrency_limit', v_queue.concurrency_limit, 'rate_per_second', v_queue.rate_per_second, 'burst', v_queue.burst));

  -- NOTIFY: a resumed or widened queue may have work to claim now
  perform pg_notify('agent_runtime_wakeup', s.agent)
  from (select distinct s.agent from agent_runtime.steps s
        where s.status = 'ready' and s.queue = configure_queue.queue and s.agent is not null) s;
  return jsonb_build_object('queue', v_queue.name, 'paused', v_queue.paused, 'concurrency_limit', v_queue.concurrency_limit,
                            'rate_per_second', v_queue.rate_per_second, 'burst', v_queue.burst);
end
$$;
