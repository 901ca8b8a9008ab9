using System.Text.Json.Nodes;
using AgentRuntime.Agents;
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

/// <summary>The worker side of the SQL API: each method is one call of an agent_runtime function.</summary>
public sealed class StepClient(NpgsqlDataSource dataSource)
{
    public async Task RegisterAsync(string workerId, IReadOnlyList<IAgent> agents, JsonObject info, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var agent in agents)
        {
            var command = new NpgsqlBatchCommand(
                "select agent_runtime.register_agent(name => $1, description => $2, input_schema => $3)");
            command.Parameters.Add(Sql.Text(agent.Name));
            command.Parameters.Add(Sql.Text(agent.Description));
            command.Parameters.Add(Sql.Jsonb(agent.InputSchema, "input_schema"));
            batch.BatchCommands.Add(command);
        }
        var register = new NpgsqlBatchCommand(
            "select agent_runtime.register_worker(worker_id => $1, agents => $2, info => $3)");
        register.Parameters.Add(Sql.Text(workerId));
        register.Parameters.Add(Sql.TextArray(agents.Select(a => a.Name)));
        register.Parameters.Add(Sql.Jsonb(info, "info"));
        batch.BatchCommands.Add(register);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Claims up to <paramref name="maxSteps"/> ready steps, and learns how long until something
    /// next becomes due for these agents (next_due_at) in the same transaction. Its now() is the
    /// claim's, so a step that becomes due after the claim looked is in the answer; asked in a
    /// transaction of its own, next_due_at would look past a step that fell due in between and the
    /// host would sleep a whole poll interval. The wait is measured by PostgreSQL's clock, which
    /// decides when work is due: a host's clock may run ahead or behind.
    /// </summary>
    public async Task<Claim> ClaimAsync(
        string workerId, string[] agents, int maxSteps, int leaseSeconds, string[]? queues, CancellationToken cancellationToken)
    {
        // one batch without error barriers is one implicit transaction: one now() for both
        await using var batch = dataSource.CreateBatch();
        var claim = new NpgsqlBatchCommand(
            "select step_id, task_id, session_id, step_key, agent, input, task_input, attempt, max_attempts, " +
            "lease_token, lease_expires_at, timeout_seconds, metadata, resumed_from, app_name, user_id " +
            "from agent_runtime.claim_step(worker_id => $1, agents => $2, max_steps => $3, lease_seconds => $4, queues => $5)");
        claim.Parameters.Add(Sql.Text(workerId));
        claim.Parameters.Add(Sql.TextArray(agents));
        claim.Parameters.Add(Sql.Integer(maxSteps));
        claim.Parameters.Add(Sql.Integer(leaseSeconds));
        claim.Parameters.Add(Sql.TextArray(queues));
        batch.BatchCommands.Add(claim);
        var due = new NpgsqlBatchCommand("select agent_runtime.next_due_at(agents => $1) - clock_timestamp()");
        due.Parameters.Add(Sql.TextArray(agents));
        batch.BatchCommands.Add(due);
        var claimedAt = DateTimeOffset.UtcNow;
        var steps = new List<ClaimedStep>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // Each row on its own: a step whose JSON cannot be read still belongs to the claim
            // (it is leased) and is handed over with the reason, never failing its neighbours.
            var stepId = reader.Get<long>("step_id");
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
            };
            steps.Add(new ClaimedStep(context, reader.Get<Guid>("lease_token"), reader.Get<DateTimeOffset>("lease_expires_at"), claimedAt)
            {
                Unreadable = unreadable,
            });
        }
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Claim(steps, reader.IsDBNull(0) ? null : reader.GetFieldValue<TimeSpan>(0));
    }

    public async Task<IReadOnlyList<StepOutcome>> CompleteAsync(IReadOnlyList<StepCompletion> completions, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, outcome, code, message from agent_runtime.complete_steps(step_ids => $1, lease_tokens => $2, outputs => $3, effects => $4)");
        command.Parameters.Add(Sql.BigintArray(completions.Select(c => c.StepId)));
        command.Parameters.Add(Sql.UuidArray(completions.Select(c => c.LeaseToken)));
        command.Parameters.Add(Sql.JsonbArray(completions.Select(c => c.Output), "output"));
        // No effects at all (the common case): NULL, and complete_steps stays one set-based statement.
        command.Parameters.Add(Sql.JsonbArray(completions.Any(c => c.Effects is not null)
            ? completions.Select(c => (JsonNode?)c.Effects)
            : null, "effects"));
        return await ReadOutcomesAsync(command, "outcome", cancellationToken, withRefusals: true);
    }

    public async Task<IReadOnlyList<StepOutcome>> FailAsync(IReadOnlyList<StepFailure> failures, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, outcome, code, message from agent_runtime.fail_steps(step_ids => $1, lease_tokens => $2, errors => $3, retryable => $4)");
        command.Parameters.Add(Sql.BigintArray(failures.Select(f => f.StepId)));
        command.Parameters.Add(Sql.UuidArray(failures.Select(f => f.LeaseToken)));
        command.Parameters.Add(Sql.JsonbArray(failures.Select(f => (JsonNode?)f.Error), "error"));
        command.Parameters.Add(Sql.BooleanArray(failures.Select(f => f.Retryable)));
        return await ReadOutcomesAsync(command, "outcome", cancellationToken, withRefusals: true);
    }

    public async Task<StepOutcome> YieldAsync(
        long stepId, Guid leaseToken, AgentResult.Yielded yielded, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => $3, payload => $4, resume_at => $5)");
        command.Parameters.Add(Sql.Bigint(stepId));
        command.Parameters.Add(Sql.Uuid(leaseToken));
        command.Parameters.Add(Sql.Text(yielded.Reason));
        command.Parameters.Add(Sql.Jsonb(yielded.Payload, "payload"));
        command.Parameters.Add(Sql.Timestamp(yielded.ResumeAt));
        return new StepOutcome(stepId, (string)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    public async Task<StepOutcome> RejectAsync(long stepId, Guid leaseToken, JsonObject reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.reject_step(step_id => $1, lease_token => $2, reason => $3)");
        command.Parameters.Add(Sql.Bigint(stepId));
        command.Parameters.Add(Sql.Uuid(leaseToken));
        command.Parameters.Add(Sql.Jsonb(reason, "reason"));
        return new StepOutcome(stepId, (string)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    public async Task<IReadOnlyList<StepOutcome>> ReleaseAsync(IReadOnlyList<ClaimedStep> steps, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, outcome from agent_runtime.release_steps(step_ids => $1, lease_tokens => $2)");
        command.Parameters.Add(Sql.BigintArray(steps.Select(s => s.StepId)));
        command.Parameters.Add(Sql.UuidArray(steps.Select(s => s.LeaseToken)));
        return await ReadOutcomesAsync(command, "outcome", cancellationToken);
    }

    /// <summary>
    /// Extends the leases of <paramref name="steps"/>, each matched by its lease token; returns
    /// those to abandon, with the reason (canceled, lease_lost).
    /// </summary>
    public async Task<IReadOnlyList<StepOutcome>> HeartbeatAsync(
        string workerId, int leaseSeconds, IReadOnlyList<ClaimedStep> steps, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, reason from agent_runtime.heartbeat(worker_id => $1, lease_seconds => $2, step_ids => $3, lease_tokens => $4)");
        command.Parameters.Add(Sql.Text(workerId));
        command.Parameters.Add(Sql.Integer(leaseSeconds));
        command.Parameters.Add(Sql.BigintArray(steps.Select(s => s.StepId)));
        command.Parameters.Add(Sql.UuidArray(steps.Select(s => s.LeaseToken)));
        return await ReadOutcomesAsync(command, "reason", cancellationToken);
    }

    private static async Task<IReadOnlyList<StepOutcome>> ReadOutcomesAsync(
        NpgsqlCommand command, string outcomeColumn, CancellationToken cancellationToken, bool withRefusals = false)
    {
        var outcomes = new List<StepOutcome>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            outcomes.Add(new StepOutcome(reader.Get<long>("step_id"), reader.Get<string>(outcomeColumn),
                withRefusals ? reader.Text("code") : null,
                withRefusals ? reader.Text("message") : null));
        }
        return outcomes;
    }
}
