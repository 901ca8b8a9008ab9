using AgentRuntime.Client;
using AgentRuntime.Memory;
using Npgsql;

namespace AgentRuntime.A2a.WebConsole;

/// <summary>
/// What the console reads and does, each a call of the SQL API as the request's caller (through
/// <see cref="RuntimeCalls.AsCallerAsync{T}"/>: SET LOCAL ROLE, so tenant rules and grants apply).
/// Reads answer JSON text as the functions build it, so that a live page can tell a change from
/// the same answer again by comparing text.
/// </summary>
internal sealed class ConsoleCalls(RuntimeCalls calls, MemoryService memory)
{
    /// <summary>The caller's role and which actions it may take (EXECUTE on the functions behind them).</summary>
    public Task<string> MeAsync(Caller caller, CancellationToken cancellationToken) =>
        JsonAsync(caller, """
            select jsonb_build_object(
              'role', current_user,
              'cancel', has_function_privilege('agent_runtime.cancel_task(uuid, text)', 'EXECUTE'),
              'retry', has_function_privilege('agent_runtime.retry_task(uuid)', 'EXECUTE'),
              'requeue', has_function_privilege('agent_runtime.requeue_step(bigint)', 'EXECUTE'),
              'configure_queue', has_function_privilege('agent_runtime.configure_queue(text, jsonb)', 'EXECUTE'),
              'pause_schedule', has_function_privilege('agent_runtime.pause_schedule(text, text)', 'EXECUTE'))
            """, cancellationToken);

    public Task<string> OverviewAsync(Caller caller, CancellationToken cancellationToken) =>
        JsonAsync(caller, """
            select jsonb_build_object(
              'now', now(),
              'stats', (select coalesce(jsonb_agg(to_jsonb(s)), '[]') from agent_runtime.work_stats() s),
              'throughput', (select coalesce(jsonb_agg(to_jsonb(t) order by t.minute), '[]') from agent_runtime.task_throughput(15) t),
              'workers', (select coalesce(jsonb_agg(to_jsonb(w) - 'info'), '[]') from agent_runtime.list_workers() w))
            """, cancellationToken);

    public Task<string> TasksAsync(Caller caller, JsonObject filters, int pageSize, string? pageToken, CancellationToken cancellationToken) =>
        JsonAsync(caller, "select agent_runtime.browse_tasks(filters => $1::jsonb, page_size => $2, page_token => $3)",
            cancellationToken, Sql.Text(filters.ToJsonString()), Sql.Integer(pageSize), Sql.Text(pageToken));

    /// <summary>A task with its steps, its newest 1000 events and, for a workflow, the definition of the version it runs.</summary>
    public Task<string> TaskAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        JsonAsync(caller, """
            select jsonb_build_object(
              'task', to_jsonb(t),
              'timeline', (select coalesce(jsonb_agg(to_jsonb(e) - 'n' - 'total' order by e.n), '[]')
                           from (select x.*, row_number() over () as n, count(*) over () as total
                                 from agent_runtime.task_timeline(t.task_id) x) e
                           where e.n > e.total - 1000),
              'workflow', (select to_jsonb(w) from agent_runtime.list_workflows(true) w
                           where w.name = t.target and w.version = t.workflow_version))
            from agent_runtime.get_task(task_id => $1, history_length => 50) t
            """, cancellationToken, Sql.Uuid(taskId));

    /// <summary>The artifacts (every version) and the session (state, newest 50 events) of a task's session.</summary>
    public Task<string> TaskSessionAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        JsonAsync(caller, """
            select jsonb_build_object(
              'artifacts', (select coalesce(jsonb_agg(jsonb_build_object(
                                   'filename', k.filename,
                                   'versions', (select jsonb_agg(to_jsonb(v) order by v.version desc)
                                                from agent_runtime.list_artifact_versions(t.app_name, t.user_id, t.session_id, k.filename) v))
                                 order by k.filename), '[]')
                            from agent_runtime.list_artifact_keys(t.app_name, t.user_id, t.session_id) as k(filename)),
              'session', agent_runtime.get_session(t.app_name, t.user_id, t.session_id, 50))
            from agent_runtime.get_task(task_id => $1, history_length => 0) t
            """, cancellationToken, Sql.Uuid(taskId));

    /// <summary>An artifact's content as the task's session holds it (the newest version when none is asked for).</summary>
    public Task<(byte[] Content, string MimeType, int Version)> ArtifactAsync(Caller caller, Guid taskId, string filename, int? version,
        CancellationToken cancellationToken) =>
        calls.AsCallerAsync(caller, async connection =>
        {
            await using var command = new NpgsqlCommand("""
                select a.content, a.mime_type, a.version
                from agent_runtime.get_task(task_id => $1, history_length => 0) t
                cross join lateral agent_runtime.load_artifact(t.app_name, t.user_id, t.session_id, $2, $3) a
                """, connection);
            command.Parameters.Add(Sql.Uuid(taskId));
            command.Parameters.Add(Sql.Text(filename));
            command.Parameters.Add(Sql.Integer(version));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.Get<byte[]>("content"), reader.Get<string>("mime_type"), reader.Get<int>("version"));
        }, cancellationToken);

    public Task<string> WorkflowsAsync(Caller caller, CancellationToken cancellationToken) =>
        JsonAsync(caller, "select coalesce(jsonb_agg(to_jsonb(w) order by w.name, w.version desc), '[]') from agent_runtime.list_workflows(true) w",
            cancellationToken);

    public Task<string> SchedulesAsync(Caller caller, CancellationToken cancellationToken) =>
        JsonAsync(caller, "select coalesce(jsonb_agg(to_jsonb(s) order by s.app_name, s.name), '[]') from agent_runtime.list_schedules() s",
            cancellationToken);

    /// <summary>The queues with their settings and the caller's work in them (work_stats).</summary>
    public Task<string> QueuesAsync(Caller caller, CancellationToken cancellationToken) =>
        JsonAsync(caller, """
            select coalesce(jsonb_agg(to_jsonb(s) - 'kind' order by s.name), '[]')
            from agent_runtime.work_stats() s where s.kind = 'queue'
            """, cancellationToken);

    public Task<string> FailuresAsync(Caller caller, TimeSpan since, CancellationToken cancellationToken) =>
        JsonAsync(caller, "select coalesce(jsonb_agg(to_jsonb(f)), '[]') from agent_runtime.list_failures(since => $1) f",
            cancellationToken, new NpgsqlParameter { Value = since, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });

    /// <summary>A user's memories nearest to <paramref name="query"/>, embedded by the configured embedder (hybrid: text too).</summary>
    public async Task<string> SearchMemoryAsync(Caller caller, string appName, string userId, string query, int k,
        CancellationToken cancellationToken)
    {
        // Embedding needs no rights of the caller's: only the configured size (memory_dimensions) is read.
        var embedding = (await memory.EmbedAsync([query], cancellationToken))[0].ToArray();
        return await JsonAsync(caller, """
            select coalesce(jsonb_agg(jsonb_build_object('memory_id', m.memory_id, 'content', m.content, 'metadata', m.metadata,
                                                         'score', m.score, 'created_at', m.created_at)), '[]')
            from agent_runtime.search_memory(app_name => $1, user_id => $2, query_embedding => $3, query_text => $4, k => $5) m
            """, cancellationToken, Sql.Text(appName), Sql.Text(userId), Sql.RealArray(embedding), Sql.Text(query), Sql.Integer(k));
    }

    public Task CancelAsync(Caller caller, Guid taskId, string? reason, CancellationToken cancellationToken) =>
        ExecuteAsync(caller, "select agent_runtime.cancel_task(task_id => $1, reason => $2)", cancellationToken,
            Sql.Uuid(taskId), Sql.Text(reason));

    public Task RetryAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        ExecuteAsync(caller, "select agent_runtime.retry_task(task_id => $1)", cancellationToken, Sql.Uuid(taskId));

    /// <summary>Requeues a step of the task (requeue_step, admins): a step of another task is not found.</summary>
    public async Task RequeueAsync(Caller caller, Guid taskId, long stepId, CancellationToken cancellationToken)
    {
        var requeued = await JsonAsync(caller, """
            select to_jsonb(count(*))
            from (select agent_runtime.requeue_step(step_id => s.step_id)
                  from agent_runtime.get_task(task_id => $1, history_length => 0) t
                  cross join lateral jsonb_to_recordset(t.steps) as s(step_id bigint)
                  where s.step_id = $2) as requeued
            """, cancellationToken, Sql.Uuid(taskId), Sql.Bigint(stepId));
        if (requeued == "0")
        {
            throw new ConsoleError(StatusCodes.Status404NotFound, $"task {taskId} has no step {stepId}");
        }
    }

    public Task<string> ConfigureQueueAsync(Caller caller, string queue, JsonObject settings, CancellationToken cancellationToken) =>
        JsonAsync(caller, "select agent_runtime.configure_queue(queue => $1, options => $2::jsonb)", cancellationToken,
            Sql.Text(queue), Sql.Text(settings.ToJsonString()));

    /// <summary>Pauses or resumes a schedule; false when the caller has no schedule of that name.</summary>
    public Task<bool> PauseScheduleAsync(Caller caller, string appName, string name, bool paused, CancellationToken cancellationToken) =>
        calls.AsCallerAsync(caller, async connection =>
        {
            await using var command = new NpgsqlCommand(paused
                ? "select agent_runtime.pause_schedule(name => $1, app_name => $2)"
                : "select agent_runtime.resume_schedule(name => $1, app_name => $2)", connection);
            command.Parameters.Add(Sql.Text(name));
            command.Parameters.Add(Sql.Text(appName));
            return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    private Task<string> JsonAsync(Caller caller, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        calls.AsCallerAsync(caller, async connection =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddRange(parameters);
            return (string?)await command.ExecuteScalarAsync(cancellationToken) ?? "null";
        }, cancellationToken);

    private Task ExecuteAsync(Caller caller, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        calls.AsCallerAsync(caller, async connection =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddRange(parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
}
