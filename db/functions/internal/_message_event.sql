-- A message (send_message, complete_step effects "messages") as the session event it becomes.
-- A message is an A2A message (an object with a "parts" array, e.g. {"role": "user", "parts":
-- [{"kind": "text", "text": "Paris"}]}) or an ADK-style event with a "content" object. A2A
-- messages become {"author": .., "role": .., "content": <the message>}; events keep their keys
-- and get an "author" when they have none. "actions" are refused: a message commits no state
-- (step effects carry a state_delta of their own).
create or replace function agent_runtime._message_event(message jsonb, what text, author text, role text)
returns jsonb
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_author text;
begin
  perform agent_runtime._check_object(message, what);
  perform agent_runtime._check_size(message, what, 1048576);
  if message ? 'author' and jsonb_typeof(message -> 'author') <> 'string' then
    raise exception using errcode = 'AR001',
      message = format('%s "author" must be a string, got %s', what, jsonb_typeof(message -> 'author')),
      hint = 'Name who wrote the message, e.g. "user" or the agent''s name, or leave it out.';
  end if;
  if message ? 'actions' then
    raise exception using errcode = 'AR001',
      message = format('%s must not have "actions"', what),
      hint = 'Messages commit no state: put state changes in the step''s effects "state_delta", or use append_event.';
  end if;
  v_author := coalesce(message ->> 'author', author);
  if message ? 'content' then
    perform agent_runtime._check_object(message -> 'content', format('%s "content"', what));
    return message || jsonb_build_object('author', v_author);
  end if;
  if jsonb_typeof(message -> 'parts') is distinct from 'array' then
    raise exception using errcode = 'AR001',
      message = format('%s needs a "parts" array or a "content" object', what),
      hint = 'Pass an A2A message such as {"role": "user", "parts": [{"kind": "text", "text": "..."}]}.';
  end if;
  return jsonb_build_object('author', v_author, 'role', coalesce(message ->> 'role', role),
                            'content', jsonb_build_object('role', coalesce(message ->> 'role', role)) || (message - 'author'));
end
$$;
