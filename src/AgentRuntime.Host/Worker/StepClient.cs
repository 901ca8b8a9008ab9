using System.Text.Json.Nodes;
using AgentRuntime.Agents;
using Npgsql;
using NpgsqlTypes;

namespace AgentRuntime.Host.Worker;

public sealed record StepOutcome(long StepId, string Outcome);

public sealed record StepCompletion(long StepId, Guid LeaseToken, JsonNode? Output, JsonObject? Effects = null);

public sealed record StepFailure(long StepId, Guid LeaseToken, JsonObject Error, bool Retryable);

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
            command.Parameters.Add(new NpgsqlParameter { Value = agent.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = agent.Description });
            command.Parameters.Add(Jsonb(agent.InputSchema));
            batch.BatchCommands.Add(command);
        }
        var register = new NpgsqlBatchCommand(
            "select agent_runtime.register_worker(worker_id => $1, agents => $2, info => $3)");
        register.Parameters.Add(new NpgsqlParameter { Value = workerId });
        register.Parameters.Add(new NpgsqlParameter { Value = agents.Select(a => a.Name).ToArray() });
        register.Parameters.Add(Jsonb(info));
        batch.BatchCommands.Add(register);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// How long until something next becomes due for these agents (next_due_at), or null. Measured
    /// by PostgreSQL's clock, which decides when work is due: a host's clock may run ahead or behind.
    /// </summary>
    public async Task<TimeSpan?> UntilDueAsync(string[] agents, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select agent_runtime.next_due_at(agents => $1) - clock_timestamp()");
        command.Parameters.Add(new NpgsqlParameter { Value = agents });
        return await command.ExecuteScalarAsync(cancellationToken) is TimeSpan wait ? wait : null;
    }

    public async Task<IReadOnlyList<ClaimedStep>> ClaimAsync(
        string workerId, string[] agents, int maxSteps, int leaseSeconds, string[]? queues, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, task_id, session_id, step_key, agent, input, task_input, attempt, max_attempts, " +
            "lease_token, lease_expires_at, timeout_seconds, metadata, resumed_from, app_name, user_id " +
            "from agent_runtime.claim_step(worker_id => $1, agents => $2, max_steps => $3, lease_seconds => $4, queues => $5)");
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(new NpgsqlParameter { Value = agents });
        command.Parameters.Add(new NpgsqlParameter { Value = maxSteps });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseSeconds });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (object?)queues ?? DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        var claimedAt = DateTimeOffset.UtcNow;
        var steps = new List<ClaimedStep>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var context = new AgentContext
            {
                StepId = reader.GetInt64(0),
                TaskId = reader.GetGuid(1),
                SessionId = reader.GetString(2),
                AppName = reader.GetString(14),
                UserId = reader.GetString(15),
                StepKey = reader.GetString(3),
                Agent = reader.GetString(4),
                Input = ParseJson(reader, 5),
                TaskInput = ParseJson(reader, 6),
                Attempt = reader.GetInt32(7),
                MaxAttempts = reader.GetInt32(8),
                Timeout = reader.IsDBNull(11) ? null : TimeSpan.FromSeconds(reader.GetInt32(11)),
                Metadata = ParseJson(reader, 12) as JsonObject ?? [],
                ResumedFrom = ParseJson(reader, 13) as JsonObject,
            };
            steps.Add(new ClaimedStep(context, reader.GetGuid(9), reader.GetFieldValue<DateTimeOffset>(10), claimedAt));
        }
        return steps;
    }

    public async Task<IReadOnlyList<StepOutcome>> CompleteAsync(IReadOnlyList<StepCompletion> completions, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, outcome from agent_runtime.complete_steps(step_ids => $1, lease_tokens => $2, outputs => $3, effects => $4)");
        command.Parameters.Add(new NpgsqlParameter { Value = completions.Select(c => c.StepId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = completions.Select(c => c.LeaseToken).ToArray() });
        command.Parameters.Add(JsonbArray(completions.Select(c => c.Output)));
        // No effects at all (the common case): NULL, and complete_steps stays one set-based statement.
        command.Parameters.Add(completions.Any(c => c.Effects is not null)
            ? JsonbArray(completions.Select(c => (JsonNode?)c.Effects))
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        return await ReadOutcomesAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<StepOutcome>> FailAsync(IReadOnlyList<StepFailure> failures, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, outcome from agent_runtime.fail_steps(step_ids => $1, lease_tokens => $2, errors => $3, retryable => $4)");
        command.Parameters.Add(new NpgsqlParameter { Value = failures.Select(f => f.StepId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = failures.Select(f => f.LeaseToken).ToArray() });
        command.Parameters.Add(JsonbArray(failures.Select(f => (JsonNode?)f.Error)));
        command.Parameters.Add(new NpgsqlParameter { Value = failures.Select(f => f.Retryable).ToArray() });
        return await ReadOutcomesAsync(command, cancellationToken);
    }

    public async Task<StepOutcome> YieldAsync(
        long stepId, Guid leaseToken, AgentResult.Yielded yielded, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.yield_step(step_id => $1, lease_token => $2, reason => $3, payload => $4, resume_at => $5)");
        command.Parameters.Add(new NpgsqlParameter { Value = stepId });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseToken });
        command.Parameters.Add(new NpgsqlParameter { Value = yielded.Reason });
        command.Parameters.Add(Jsonb(yielded.Payload));
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (object?)yielded.ResumeAt ?? DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.TimestampTz,
        });
        return new StepOutcome(stepId, (string)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    public async Task<StepOutcome> RejectAsync(long stepId, Guid leaseToken, JsonObject reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.reject_step(step_id => $1, lease_token => $2, reason => $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = stepId });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseToken });
        command.Parameters.Add(Jsonb(reason));
        return new StepOutcome(stepId, (string)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    public async Task<IReadOnlyList<StepOutcome>> ReleaseAsync(IReadOnlyList<ClaimedStep> steps, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, outcome from agent_runtime.release_steps(step_ids => $1, lease_tokens => $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = steps.Select(s => s.StepId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = steps.Select(s => s.LeaseToken).ToArray() });
        return await ReadOutcomesAsync(command, cancellationToken);
    }

    /// <summary>Extends the leases of <paramref name="stepIds"/>; returns those to abandon, with the reason.</summary>
    public async Task<IReadOnlyList<StepOutcome>> HeartbeatAsync(
        string workerId, int leaseSeconds, long[] stepIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select step_id, reason from agent_runtime.heartbeat(worker_id => $1, lease_seconds => $2, step_ids => $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseSeconds });
        command.Parameters.Add(new NpgsqlParameter { Value = stepIds });
        return await ReadOutcomesAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<StepOutcome>> ReadOutcomesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var outcomes = new List<StepOutcome>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            outcomes.Add(new StepOutcome(reader.GetInt64(0), reader.GetString(1)));
        }
        return outcomes;
    }

    private static JsonNode? ParseJson(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : JsonNode.Parse(reader.GetString(ordinal));

    private static NpgsqlParameter Jsonb(JsonNode? value) => new()
    {
        Value = value is null ? DBNull.Value : value.ToJsonString(),
        NpgsqlDbType = NpgsqlDbType.Jsonb,
    };

    private static NpgsqlParameter JsonbArray(IEnumerable<JsonNode?> values) => new()
    {
        Value = values.Select(v => v?.ToJsonString() ?? "null").ToArray(),
        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
    };
}
