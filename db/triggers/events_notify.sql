create or replace trigger events_notify
  after insert on agent_runtime.events
  referencing new table as new_events
  for each statement
  execute function agent_runtime._notify_events();
