using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.Client;

/// <summary>
/// How the runtime settled one step of a report. <paramref name="Code"/> and <paramref name="Message"/>
/// are set when the outcome is <c>refused</c>: the AR error the runtime refused the result with (the
/// step then failed for good).
/// </summary>
public sealed record StepOutcome(long StepId, string Outcome, string? Code = null, string? Message = null);

public sealed record StepCompletion(long StepId, Guid LeaseToken, JsonNode? Output, JsonObject? Effects = null);

public sealed record StepFailure(long StepId, Guid LeaseToken, JsonObject Error, bool Retryable);

/// <summary>The steps a claim took, and how long until something next becomes due (null: nothing is scheduled).</summary>
public sealed record Claim(IReadOnlyList<ClaimedStep> Steps, TimeSpan? UntilDue);

/// <summary>
/// What <c>record_usage</c> returned: <paramref name="Outcome"/> is recorded, budget_exceeded or canceled
/// (the run must stop for either of the last two); the task's tokens so far and its max_tokens (null: none).
/// </summary>
public sealed record RecordedUsage(string Outcome, long TaskTokens, int? MaxTokens);

/// <summary>The worker side of the SQL API: each method is one call of an agent_runtime function.</summary>
public sealed class StepClient(NpgsqlDataSource dataSource)
{
    private readonly RuntimeConnection _db = dataSource;

    public Task RegisterAsync(string workerId, IReadOnlyList<IAgent> agents, JsonObject info, CancellationToken cancellationToken) =>
        _db.ExecuteBatchAsync(cancellationToken,
        [
            .. agents.Select(agent => RegisterAgent.BatchCommand(
                Sql.Text(agent.Name), Sql.Text(agent.Description), Sql.Jsonb(agent.InputSchema, "input_schema"))),
            RegisterWorker.BatchCommand(Sql.Text(workerId), Sql.TextArray(agents.Select(a => a.Name)), Sql.Jsonb(info, "info")),
        ]);

    /// <summary>
    /// Claims up to <paramref name="maxSteps"/> ready steps, and learns how long until something
    /// next becomes due for these agents (next_due_at) in the same transaction. Its now() is the
    /// claim's, so a step that becomes due after the claim looked is in the answer; asked in a
    /// transaction of its own, next_due_at would look past a step that fell due in between and the
    /// host would sleep a whole poll interval. The wait is measured by PostgreSQL's clock, which
    /// decides when work is due: a host's clock may run ahead or behind.
    /// </summary>
    public Task<Claim> ClaimAsync(
        string workerId, string[] agents, int maxSteps, int leaseSeconds, string[]? queues, CancellationToken cancellationToken)
    {
        // one batch without error barriers is one implicit transaction: one now() for both
        var claim = ClaimStep.BatchCommand(
            Sql.Text(workerId), Sql.TextArray(agents), Sql.Integer(maxSteps), Sql.Integer(leaseSeconds), Sql.TextArray(queues));
        var due = UntilDue.BatchCommand(Sql.TextArray(agents));
        var claimedAt = DateTimeOffset.UtcNow;
        return _db.ReadBatchAsync(async (reader, ct) =>
        {
            var steps = new List<ClaimedStep>();
            while (await reader.ReadAsync(ct))
            {
                steps.Add(ReadClaimedStep(reader, claimedAt));
            }
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            return new Claim(steps, reader.IsDBNull(0) ? null : reader.GetFieldValue<TimeSpan>(0));
        }, cancellationToken, claim, due);
    }

    public Task<IReadOnlyList<StepOutcome>> CompleteAsync(IReadOnlyList<StepCompletion> completions, CancellationToken cancellationToken) =>
        _db.ListAsync(CompleteSteps, cancellationToken,
            Sql.BigintArray(completions.Select(c => c.StepId)),
            Sql.UuidArray(completions.Select(c => c.LeaseToken)),
            Sql.JsonbArray(completions.Select(c => c.Output), "output"),
            // No effects at all (the common case): NULL, and complete_steps stays one set-based statement.
            Sql.JsonbArray(completions.Any(c => c.Effects is not null)
                ? completions.Select(c => (JsonNode?)c.Effects)
                : null, "effects"));

    public Task<IReadOnlyList<StepOutcome>> FailAsync(IReadOnlyList<StepFailure> failures, CancellationToken cancellationToken) =>
        _db.ListAsync(FailSteps, cancellationToken,
            Sql.BigintArray(failures.Select(f => f.StepId)),
            Sql.UuidArray(failures.Select(f => f.LeaseToken)),
            Sql.JsonbArray(failures.Select(f => (JsonNode?)f.Error), "error"),
            Sql.BooleanArray(failures.Select(f => f.Retryable)));

    public async Task<StepOutcome> YieldAsync(
        long stepId, Guid leaseToken, AgentResult.Yielded yielded, CancellationToken cancellationToken) =>
        new(stepId, await _db.ValueAsync<string>(YieldStep, cancellationToken, Sql.Bigint(stepId), Sql.Uuid(leaseToken),
            Sql.Text(yielded.Reason), Sql.Jsonb(yielded.Payload, "payload"), Sql.Timestamp(yielded.ResumeAt)));

    public async Task<StepOutcome> RejectAsync(long stepId, Guid leaseToken, JsonObject reason, CancellationToken cancellationToken) =>
        new(stepId, await _db.ValueAsync<string>(RejectStep, cancellationToken, Sql.Bigint(stepId), Sql.Uuid(leaseToken),
            Sql.Jsonb(reason, "reason")));

    public Task<IReadOnlyList<StepOutcome>> ReleaseAsync(IReadOnlyList<ClaimedStep> steps, CancellationToken cancellationToken) =>
        _db.ListAsync(ReleaseSteps, cancellationToken, Sql.BigintArray(steps.Select(s => s.StepId)), Sql.UuidArray(steps.Select(s => s.LeaseToken)));

    /// <summary>Records the usage of one model call of a running step (record_usage).</summary>
    public Task<RecordedUsage> RecordUsageAsync(
        long stepId, Guid leaseToken, string model, int inputTokens, int outputTokens, CancellationToken cancellationToken) =>
        _db.SingleAsync(RecordUsage, cancellationToken, Sql.Bigint(stepId), Sql.Uuid(leaseToken), Sql.Text(model),
            Sql.Integer(inputTokens), Sql.Integer(outputTokens));

    /// <summary>
    /// Extends the leases of <paramref name="steps"/>, each matched by its lease token; returns
    /// those to abandon, with the reason (canceled, lease_lost).
    /// </summary>
    public Task<IReadOnlyList<StepOutcome>> HeartbeatAsync(
        string workerId, int leaseSeconds, IReadOnlyList<ClaimedStep> steps, CancellationToken cancellationToken) =>
        _db.ListAsync(Heartbeat, cancellationToken, Sql.Text(workerId), Sql.Integer(leaseSeconds),
            Sql.BigintArray(steps.Select(s => s.StepId)), Sql.UuidArray(steps.Select(s => s.LeaseToken)));

    /// <summary>
    /// Records <paramref name="output"/> as the checkpoint <paramref name="name"/> of the running
    /// attempt, and extends the lease as a heartbeat does. Returns what the step keeps under that
    /// name: <paramref name="output"/>, or the output recorded first (by this or an earlier attempt),
    /// unchanged. A lease moved on throws <see cref="StaleLeaseException"/> (nothing written).
    /// </summary>
    public async Task<JsonNode?> SaveCheckpointAsync(
        long stepId, Guid leaseToken, string name, JsonNode? output, CancellationToken cancellationToken)
    {
        var stored = await _db.ValueAsync<string>(SaveCheckpoint, cancellationToken, Sql.Bigint(stepId), Sql.Uuid(leaseToken),
            Sql.Text(name), Sql.JsonbValue(output, "the checkpoint"));
        return ClientJson.Parse(stored, $"checkpoint {name}");
    }

    /// <summary>Every checkpoint of the step, earlier attempts' too, oldest first (the lease must be the step's running one).</summary>
    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(long stepId, Guid leaseToken, CancellationToken cancellationToken) =>
        _db.ListAsync(GetCheckpoints, cancellationToken, Sql.Bigint(stepId), Sql.Uuid(leaseToken));

    /// <summary>
    /// Appends a chunk to the task's streamed output (a JSON string is text, any other value data)
    /// and returns its sequence number; <paramref name="last"/> closes <paramref name="artifact"/>,
    /// which then becomes an artifact of the task. Listeners of
    /// <see cref="Notifications.TaskOutputChannel"/> are told. A lease moved on throws
    /// <see cref="StaleLeaseException"/> (nothing written).
    /// </summary>
    public Task<long> AppendOutputAsync(
        long stepId, Guid leaseToken, string artifact, JsonNode? chunk, bool last, CancellationToken cancellationToken) =>
        _db.ValueAsync<long>(AppendOutput, cancellationToken, Sql.Bigint(stepId), Sql.Uuid(leaseToken), Sql.Text(artifact),
            Sql.JsonbValue(chunk, "the chunk"), Sql.Boolean(last));

    private static readonly SqlCall RegisterAgent = SqlCall.Function("register_agent(name, description, input_schema)");

    private static readonly SqlCall RegisterWorker = SqlCall.Function("register_worker(worker_id, agents, info)");

    private static readonly SqlCall ClaimStep = SqlCall.Rows(
        "claim_step(worker_id, agents, max_steps, lease_seconds, queues)",
        "step_id, task_id, session_id, step_key, agent, input, task_input, attempt, max_attempts, " +
        "lease_token, lease_expires_at, timeout_seconds, metadata, resumed_from, app_name, user_id");

    private static readonly SqlCall UntilDue = SqlCall.Statement("select agent_runtime.next_due_at(agents => $1) - clock_timestamp()");

    private static readonly SqlCall<StepOutcome> CompleteSteps = SqlCall.Rows(
        "complete_steps(step_ids, lease_tokens, outputs, effects)", "step_id, outcome, code, message", ReadRefusableOutcome);

    private static readonly SqlCall<StepOutcome> FailSteps = SqlCall.Rows(
        "fail_steps(step_ids, lease_tokens, errors, retryable)", "step_id, outcome, code, message", ReadRefusableOutcome);

    private static readonly SqlCall YieldStep = SqlCall.Function("yield_step(step_id, lease_token, reason, payload, resume_at)");

    private static readonly SqlCall RejectStep = SqlCall.Function("reject_step(step_id, lease_token, reason)");

    private static readonly SqlCall<StepOutcome> ReleaseSteps = SqlCall.Rows(
        "release_steps(step_ids, lease_tokens)", "step_id, outcome", row => ReadOutcome(row, "outcome"));

    private static readonly SqlCall<RecordedUsage> RecordUsage = SqlCall.Rows(
        "record_usage(step_id, lease_token, model, input_tokens, output_tokens)", "outcome, task_tokens, max_tokens",
        row => new RecordedUsage(row.Get<string>("outcome"), row.Get<long>("task_tokens"), row.Nullable<int>("max_tokens")));

    private static readonly SqlCall<StepOutcome> Heartbeat = SqlCall.Rows(
        "heartbeat(worker_id, lease_seconds, step_ids, lease_tokens)", "step_id, reason", row => ReadOutcome(row, "reason"));

    private static readonly SqlCall SaveCheckpoint = SqlCall.Function("save_checkpoint(step_id, lease_token, name, output)");

    private static readonly SqlCall<Checkpoint> GetCheckpoints = SqlCall.Rows(
        "get_checkpoints(step_id, lease_token)", "name, output, attempt, created_at",
        row => new Checkpoint(row.Get<string>("name"), row.Json("output"), row.Get<int>("attempt"), row.Get<DateTimeOffset>("created_at")));

    private static readonly SqlCall AppendOutput = SqlCall.Function("append_output(step_id, lease_token, artifact, chunk, last)");

    private ClaimedStep ReadClaimedStep(NpgsqlDataReader reader, DateTimeOffset claimedAt)
    {
        // Each row on its own: a step whose JSON cannot be read still belongs to the claim
        // (it is leased) and is handed over with the reason, never failing its neighbours.
        var stepId = reader.Get<long>("step_id");
        var leaseToken = reader.Get<Guid>("lease_token");
        string? unreadable = null;
        JsonNode? Json(string column)
        {
            try
            {
                return reader.Json(column);
            }
            catch (JsonTooDeepException tooDeep)
            {
                unreadable ??= $"step {stepId} cannot be read: {tooDeep.Message}";
                return null;
            }
        }
        var context = new AgentContext
        {
            StepId = stepId,
            TaskId = reader.Get<Guid>("task_id"),
            SessionId = reader.Get<string>("session_id"),
            AppName = reader.Get<string>("app_name"),
            UserId = reader.Get<string>("user_id"),
            StepKey = reader.Get<string>("step_key"),
            Agent = reader.Get<string>("agent"),
            Input = Json("input"),
            TaskInput = Json("task_input"),
            Attempt = reader.Get<int>("attempt"),
            MaxAttempts = reader.Get<int>("max_attempts"),
            Timeout = reader.Nullable<int>("timeout_seconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Metadata = Json("metadata") as JsonObject ?? [],
            ResumedFrom = Json("resumed_from") as JsonObject,
            LeaseToken = leaseToken,
            Run = new StepRun(this, stepId, leaseToken),
        };
        return new ClaimedStep(context, leaseToken, reader.Get<DateTimeOffset>("lease_expires_at"), claimedAt)
        {
            Unreadable = unreadable,
        };
    }

    private static StepOutcome ReadOutcome(NpgsqlDataReader reader, string outcomeColumn) =>
        new(reader.Get<long>("step_id"), reader.Get<string>(outcomeColumn));

    private static StepOutcome ReadRefusableOutcome(NpgsqlDataReader reader) =>
        new(reader.Get<long>("step_id"), reader.Get<string>("outcome"), reader.Text("code"), reader.Text("message"));
}
