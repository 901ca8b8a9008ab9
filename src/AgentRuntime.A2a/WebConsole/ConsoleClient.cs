using AgentRuntime.Client;
using AgentRuntime.Memory;
using Npgsql;

namespace AgentRuntime.A2a.WebConsole;

/// <summary>
/// What the console reads and does, each a call of the SQL API as the request's caller (through
/// <see cref="RuntimeClient.AsCallerAsync{T}"/>: SET LOCAL ROLE, so tenant rules and grants apply).
/// Reads answer JSON text as the functions build it, so that a live page can tell a change from
/// the same answer again by comparing text.
/// </summary>
internal sealed class ConsoleClient(RuntimeClient calls, MemoryClient memory)
{
    /// <summary>The caller's role and which actions it may take (EXECUTE on the functions behind them).</summary>
    public Task<string> MeAsync(Caller caller, CancellationToken cancellationToken) => JsonAsync(caller, Me, cancellationToken);

    private static readonly SqlCall Me = SqlCall.Statement("""
            select jsonb_build_object(
              'role', current_user,
              'cancel', has_function_privilege('agent_runtime.cancel_task(uuid, text)', 'EXECUTE'),
              'retry', has_function_privilege('agent_runtime.retry_task(uuid, jsonb)', 'EXECUTE'),
              'requeue', has_function_privilege('agent_runtime.requeue_step(bigint)', 'EXECUTE'),
              'configure_queue', has_function_privilege('agent_runtime.configure_queue(text, jsonb)', 'EXECUTE'),
              'pause_schedule', has_function_privilege('agent_runtime.pause_schedule(text, text)', 'EXECUTE'))
            """);

    public Task<string> OverviewAsync(Caller caller, CancellationToken cancellationToken) => JsonAsync(caller, Overview, cancellationToken);

    private static readonly SqlCall Overview = SqlCall.Statement("""
            select jsonb_build_object(
              'now', now(),
              'stats', (select coalesce(jsonb_agg(to_jsonb(s)), '[]') from agent_runtime.work_stats() s),
              'throughput', (select coalesce(jsonb_agg(to_jsonb(t) order by t.minute), '[]') from agent_runtime.task_throughput(15) t),
              'workers', (select coalesce(jsonb_agg(to_jsonb(w) - 'info'), '[]') from agent_runtime.list_workers() w))
            """);

    public Task<string> TasksAsync(Caller caller, JsonObject filters, int pageSize, string? pageToken, CancellationToken cancellationToken) =>
        JsonAsync(caller, BrowseTasks, cancellationToken, Sql.Jsonb(filters, "filters"), Sql.Integer(pageSize), Sql.Text(pageToken));

    private static readonly SqlCall BrowseTasks = SqlCall.Function("browse_tasks(filters, page_size, page_token)");

    /// <summary>A task with its steps, its newest 1000 events and, for a workflow, the definition of the version it runs.</summary>
    public Task<string> TaskAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        JsonAsync(caller, TaskView, cancellationToken, Sql.Uuid(taskId));

    private static readonly SqlCall TaskView = SqlCall.Statement("""
            select jsonb_build_object(
              'task', to_jsonb(t),
              'timeline', (select coalesce(jsonb_agg(to_jsonb(e) - 'n' - 'total' order by e.n), '[]')
                           from (select x.*, row_number() over () as n, count(*) over () as total
                                 from agent_runtime.task_timeline(t.task_id) x) e
                           where e.n > e.total - 1000),
              'workflow', (select to_jsonb(w) from agent_runtime.list_workflows(true) w
                           where w.name = t.target and w.version = t.workflow_version))
            from agent_runtime.get_task(task_id => $1, history_length => 50) t
            """);

    /// <summary>The artifacts (every version) and the session (state, newest 50 events) of a task's session.</summary>
    public Task<string> TaskSessionAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        JsonAsync(caller, TaskSession, cancellationToken, Sql.Uuid(taskId));

    private static readonly SqlCall TaskSession = SqlCall.Statement("""
            select jsonb_build_object(
              'artifacts', (select coalesce(jsonb_agg(jsonb_build_object(
                                   'filename', k.filename,
                                   'versions', (select jsonb_agg(to_jsonb(v) order by v.version desc)
                                                from agent_runtime.list_artifact_versions(t.app_name, t.user_id, t.session_id, k.filename) v))
                                 order by k.filename), '[]')
                            from agent_runtime.list_artifact_keys(t.app_name, t.user_id, t.session_id) as k(filename)),
              'session', agent_runtime.get_session(t.app_name, t.user_id, t.session_id, 50))
            from agent_runtime.get_task(task_id => $1, history_length => 0) t
            """);

    /// <summary>An artifact's content as the task's session holds it (the newest version when none is asked for).</summary>
    public Task<(byte[] Content, string MimeType, int Version)> ArtifactAsync(Caller caller, Guid taskId, string filename, int? version,
        CancellationToken cancellationToken) =>
        calls.AsCallerAsync(caller, connection => connection.SingleAsync(Artifact, cancellationToken,
            Sql.Uuid(taskId), Sql.Text(filename), Sql.Integer(version)), cancellationToken);

    private static readonly SqlCall<(byte[] Content, string MimeType, int Version)> Artifact = SqlCall.Statement("""
            select a.content, a.mime_type, a.version
            from agent_runtime.get_task(task_id => $1, history_length => 0) t
            cross join lateral agent_runtime.load_artifact(t.app_name, t.user_id, t.session_id, $2, $3) a
            """, row => (row.Get<byte[]>("content"), row.Get<string>("mime_type"), row.Get<int>("version")));

    public Task<string> WorkflowsAsync(Caller caller, CancellationToken cancellationToken) => JsonAsync(caller, Workflows, cancellationToken);

    private static readonly SqlCall Workflows = SqlCall.Statement(
        "select coalesce(jsonb_agg(to_jsonb(w) order by w.name, w.version desc), '[]') from agent_runtime.list_workflows(true) w");

    public Task<string> SchedulesAsync(Caller caller, CancellationToken cancellationToken) => JsonAsync(caller, Schedules, cancellationToken);

    private static readonly SqlCall Schedules = SqlCall.Statement(
        "select coalesce(jsonb_agg(to_jsonb(s) order by s.app_name, s.name), '[]') from agent_runtime.list_schedules() s");

    /// <summary>The queues with their settings and the caller's work in them (work_stats).</summary>
    public Task<string> QueuesAsync(Caller caller, CancellationToken cancellationToken) => JsonAsync(caller, Queues, cancellationToken);

    private static readonly SqlCall Queues = SqlCall.Statement("""
            select coalesce(jsonb_agg(to_jsonb(s) - 'kind' order by s.name), '[]')
            from agent_runtime.work_stats() s where s.kind = 'queue'
            """);

    public Task<string> FailuresAsync(Caller caller, TimeSpan since, CancellationToken cancellationToken) =>
        JsonAsync(caller, Failures, cancellationToken, new NpgsqlParameter { Value = since, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });

    private static readonly SqlCall Failures =
        SqlCall.Statement("select coalesce(jsonb_agg(to_jsonb(f)), '[]') from agent_runtime.list_failures(since => $1) f");

    /// <summary>A user's memories nearest to <paramref name="query"/>, embedded by the configured embedder (hybrid: text too).</summary>
    public async Task<string> SearchMemoryAsync(Caller caller, string appName, string userId, string query, int k,
        CancellationToken cancellationToken)
    {
        // Embedding needs no rights of the caller's: only the configured size (memory_dimensions) is read.
        var embedding = (await memory.EmbedAsync([query], cancellationToken))[0].ToArray();
        return await JsonAsync(caller, SearchMemory, cancellationToken,
            Sql.Text(appName), Sql.Text(userId), Sql.RealArray(embedding), Sql.Text(query), Sql.Integer(k));
    }

    private static readonly SqlCall SearchMemory = SqlCall.Statement("""
            select coalesce(jsonb_agg(jsonb_build_object('memory_id', m.memory_id, 'content', m.content, 'metadata', m.metadata,
                                                         'score', m.score, 'created_at', m.created_at)), '[]')
            from agent_runtime.search_memory(app_name => $1, user_id => $2, query_embedding => $3, query_text => $4, k => $5) m
            """);

    public Task CancelAsync(Caller caller, Guid taskId, string? reason, CancellationToken cancellationToken) =>
        calls.AsCallerAsync(caller, connection => connection.ExecuteAsync(CancelTask, cancellationToken, Sql.Uuid(taskId), Sql.Text(reason)),
            cancellationToken);

    private static readonly SqlCall CancelTask = SqlCall.Function("cancel_task(task_id, reason)");

    public Task RetryAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        calls.AsCallerAsync(caller, connection => connection.ExecuteAsync(RetryTask, cancellationToken, Sql.Uuid(taskId)), cancellationToken);

    private static readonly SqlCall RetryTask = SqlCall.Function("retry_task(task_id)");

    /// <summary>Requeues a step of the task (requeue_step, admins): a step of another task is not found.</summary>
    public async Task RequeueAsync(Caller caller, Guid taskId, long stepId, CancellationToken cancellationToken)
    {
        if (await JsonAsync(caller, Requeue, cancellationToken, Sql.Uuid(taskId), Sql.Bigint(stepId)) == "0")
        {
            throw new ConsoleError(StatusCodes.Status404NotFound, $"task {taskId} has no step {stepId}");
        }
    }

    private static readonly SqlCall Requeue = SqlCall.Statement("""
            select to_jsonb(count(*))
            from (select agent_runtime.requeue_step(step_id => s.step_id)
                  from agent_runtime.get_task(task_id => $1, history_length => 0) t
                  cross join lateral jsonb_to_recordset(t.steps) as s(step_id bigint)
                  where s.step_id = $2) as requeued
            """);

    public Task<string> ConfigureQueueAsync(Caller caller, string queue, JsonObject settings, CancellationToken cancellationToken) =>
        JsonAsync(caller, ConfigureQueue, cancellationToken, Sql.Text(queue), Sql.Jsonb(settings, "options"));

    private static readonly SqlCall ConfigureQueue = SqlCall.Function("configure_queue(queue, options)");

    /// <summary>Pauses or resumes a schedule; false when the caller has no schedule of that name.</summary>
    public Task<bool> PauseScheduleAsync(Caller caller, string appName, string name, bool paused, CancellationToken cancellationToken) =>
        calls.AsCallerAsync(caller, connection => connection.ValueAsync<bool>(paused ? PauseSchedule : ResumeSchedule, cancellationToken,
            Sql.Text(name), Sql.Text(appName)), cancellationToken);

    private static readonly SqlCall PauseSchedule = SqlCall.Function("pause_schedule(name, app_name)");

    private static readonly SqlCall ResumeSchedule = SqlCall.Function("resume_schedule(name, app_name)");

    /// <summary>The one value of <paramref name="call"/>, JSON as the SQL API wrote it.</summary>
    private Task<string> JsonAsync(Caller caller, SqlCall call, CancellationToken cancellationToken, params NpgsqlParameter[] arguments) =>
        calls.AsCallerAsync(caller, connection => connection.ValueAsync<string>(call, cancellationToken, arguments), cancellationToken);
}
