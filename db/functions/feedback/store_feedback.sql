-- Records a rating (1-5) of a task's result, with an optional comment and metadata (A2A
-- feedback). A task may collect several; get_feedback returns them in order.
create or replace function agent_runtime.store_feedback(
  task_id uuid,
  rating integer,
  text text default null,
  metadata jsonb default '{}'::jsonb)
returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_metadata jsonb := coalesce(store_feedback.metadata, '{}'::jsonb);
  v_feedback_id bigint;
begin
  -- GUARD
  perform agent_runtime._check_json(store_feedback.metadata, 'metadata');
  if store_feedback.task_id is null then
    raise exception using errcode = 'AR001',
      message = 'task_id is required',
      hint = 'Pass the task_id returned by submit_task.';
  end if;
  if store_feedback.rating is null or store_feedback.rating not between 1 and 5 then
    raise exception using errcode = 'AR001',
      message = format('rating must be from 1 to 5, got %s', coalesce(store_feedback.rating::text, 'NULL')),
      hint = 'Rate from 1 (bad) to 5 (good).';
  end if;
  if length(store_feedback.text) > 4000 then
    raise exception using errcode = 'AR002',
      message = format('text has %s characters, over the limit of 4000', length(store_feedback.text)),
      hint = 'Shorten the text.';
  end if;
  perform agent_runtime._check_object(v_metadata, 'metadata');
  perform agent_runtime._check_size(v_metadata, 'metadata', 65536);

  -- LOCK
  perform from agent_runtime.tasks t where t.id = store_feedback.task_id
    and agent_runtime._app_visible(agent_runtime._caller_apps(), t.app_name) for key share;
  if not found then
    perform agent_runtime._raise_task_not_found(store_feedback.task_id);
  end if;

  -- MUTATE
  insert into agent_runtime.task_feedback (task_id, rating, text, metadata)
  values (store_feedback.task_id, store_feedback.rating, store_feedback.text, v_metadata)
  returning id into v_feedback_id;

  -- NOTIFY (the event stream, through events_notify)
  insert into agent_runtime.events (type, task_id, data)
  values ('feedback.stored', store_feedback.task_id,
          jsonb_build_object('feedback_id', v_feedback_id, 'rating', store_feedback.rating));
  return v_feedback_id;
end
$$;
