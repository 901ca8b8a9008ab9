-- Security (see docs/security.md): tenants, the push destination allowlist, lock secrets, who
-- registered an agent and which role holds a lease. Internal helpers get a "_" prefix so that
-- the API stands apart from them in the catalog; the old names are dropped here and the
-- functions/ folder creates the new ones. Ownership moves to the NOLOGIN role
-- agent_runtime_owner in permissions/ (it runs after every migration).
-- One-time script: never edit it after it lands; change the schema in a new up script.

-- Internal helpers under their old names, and the triggers on the two trigger functions.
drop trigger if exists events_notify on agent_runtime.events;
drop trigger if exists events_push on agent_runtime.events;
drop function if exists
  agent_runtime.append_task_events(text, uuid, jsonb),
  agent_runtime.apply_state_delta(text, text, text, jsonb),
  agent_runtime.check_effects(jsonb, text),
  agent_runtime.check_identifier(text, text),
  agent_runtime.check_input_schema(jsonb, jsonb, text),
  agent_runtime.check_keys(jsonb, text[], text),
  agent_runtime.check_lock_arguments(text, integer),
  agent_runtime.check_name(text, text),
  agent_runtime.check_object(jsonb, text),
  agent_runtime.check_size(jsonb, text, integer),
  agent_runtime.check_state_delta(jsonb, text),
  agent_runtime.check_step_callbacks(bigint[], uuid[], integer, text),
  agent_runtime.decode_event_position(text),
  agent_runtime.decode_page_token(text),
  agent_runtime.encode_event_position(xid8, bigint),
  agent_runtime.encode_page_token(timestamptz, uuid),
  agent_runtime.expire_leases(text[], integer),
  agent_runtime.lock_leased_step(bigint, uuid),
  agent_runtime.lock_push_delivery(bigint, integer),
  agent_runtime.message_event(jsonb, text, text, text),
  agent_runtime.option_integer(jsonb, text, bigint, bigint),
  agent_runtime.option_number(jsonb, text, double precision, double precision),
  agent_runtime.option_text(jsonb, text),
  agent_runtime.option_timestamp(jsonb, text),
  agent_runtime.raise_callback_rejection(bigint, text),
  agent_runtime.raise_lock_not_held(text, bigint),
  agent_runtime.raise_session_not_found(text, text, text),
  agent_runtime.retry_delay_seconds(integer, double precision, double precision),
  agent_runtime.session_state(text, text, jsonb),
  agent_runtime.wake_due_steps(text[], integer),
  agent_runtime.notify_events(),
  agent_runtime.enqueue_push_deliveries();

-- Locks: a secret besides the fencing token (signatures change, so the old ones go).
drop function if exists
  agent_runtime.acquire_lock(text, text, integer),
  agent_runtime.extend_lock(text, bigint, integer),
  agent_runtime.release_lock(text, bigint);
alter table agent_runtime.locks add column secret uuid not null default gen_random_uuid();

-- Tenants: a role bound to apps acts only inside them (bind_tenant). Bindings name roles, so a
-- binding of a group role applies to its members; a dropped role's bindings match nobody.
create table agent_runtime.tenant_bindings (
  role_name   text not null,
  app_name    text not null,
  created_at  timestamptz not null default now(),
  primary key (role_name, app_name)
);

-- Settings an admin changes at run time (set_setting), read by SQL and by the host.
create table agent_runtime.settings (
  key         text primary key,
  value       jsonb not null,
  updated_at  timestamptz not null default now()
);

-- Who may change an agent's description and input_schema: the role that registered it (or an
-- admin). Agents registered before this script were registered by workers.
alter table agent_runtime.agents add column registered_by text;
update agent_runtime.agents set registered_by = 'agent_runtime_worker';

-- The role whose claim holds a running step: a worker role reads and writes the session of a
-- step it holds, and no other.
alter table agent_runtime.steps add column leased_role text;

create type agent_runtime.lock_grant as (
  token       bigint,
  secret      uuid,
  expires_at  timestamptz
);

create type agent_runtime.tenant_binding as (
  role_name   text,
  app_name    text,
  created_at  timestamptz
);

-- Idempotency keys are per app: two tenants may use the same key without meeting.
drop index agent_runtime.tasks_idempotency_key;
create unique index tasks_idempotency_key on agent_runtime.tasks (app_name, idempotency_key)
  where idempotency_key is not null;
