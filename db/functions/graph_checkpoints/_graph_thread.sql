-- The thread a write goes to, created on its first write and touched by every later one (its
-- updated_at is the age retention.graph_threads_after measures). Creating a thread is creating
-- something in its app: another tenant's app is refused (AR070), as create_session refuses it.
create or replace function agent_runtime._graph_thread(app_name text, thread_id text)
returns bigint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id bigint;
begin
  perform agent_runtime._check_app_permitted(agent_runtime._caller_apps(), _graph_thread.app_name);
  insert into agent_runtime.graph_threads as t (app_name, thread_id)
  values (_graph_thread.app_name, _graph_thread.thread_id)
  on conflict on constraint graph_threads_app_name_thread_id_key do update set updated_at = now()
  returning t.id into v_id;
  return v_id;
end
$$;
