-- Options are read by name from option_catalog() (jsonb_populate_record): the attribute of a
-- task's options takes the option's name.
-- One-time script: never edit it after it lands; change the schema in a new up script.
alter type agent_runtime._task_options rename attribute timeout_seconds to timeout;

-- _task_options checks every option object of a call at once (an array); configure_queue reads
-- its ranges from option_catalog(), which leaves _option_number without a caller.
drop function if exists agent_runtime._task_options(jsonb);
drop function if exists agent_runtime._option_number(jsonb, text, double precision, double precision);
