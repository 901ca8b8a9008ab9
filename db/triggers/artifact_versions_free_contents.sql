create or replace trigger artifact_versions_free_contents
  after delete on agent_runtime.artifact_versions
  referencing old table as old_versions
  for each statement
  execute function agent_runtime._free_artifact_contents();
