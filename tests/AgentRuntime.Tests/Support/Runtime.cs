using AgentRuntime.Client;
using Npgsql;
using NpgsqlTypes;

namespace AgentRuntime.Tests.Support;

/// <summary>
/// Calls the agent_runtime functions the way a client would (named arguments), plus the few
/// direct table writes a test needs to move time forward.
/// </summary>
public sealed class Runtime(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>Registers an agent with a name unique to the calling test.</summary>
    public async Task<string> NewAgentAsync(string prefix = "agent", string inputSchema = "{}")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
        await RegisterAgentAsync(name, inputSchema);
        return name;
    }

    public Task RegisterAgentAsync(string name, string inputSchema = "{}") =>
        this.ExecAsync("select agent_runtime.register_agent(name => $1, description => 'test agent', input_schema => $2::jsonb)",
            name, inputSchema);

    public async Task<SubmittedTask> SubmitAsync(string target, string input = "{}", string? sessionId = null, string options = "{}")
    {
        await using var command = DataSource.CreateCommand(
            "select task_id, session_id, status, created from agent_runtime.submit_task(" +
            "target => $1, input => $2::jsonb, session_id => $3, options => $4::jsonb)");
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        command.Parameters.Add(new NpgsqlParameter { Value = input });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)sessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = options });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return new SubmittedTask(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3));
    }

    /// <summary>Claims as the host does (<see cref="StepClient.ClaimAsync"/>).</summary>
    public async Task<IReadOnlyList<ClaimedStep>> ClaimAsync(string workerId, string[] agents, int maxSteps = 10, int leaseSeconds = 30) =>
        (await new StepClient(DataSource).ClaimAsync(workerId, agents, maxSteps, leaseSeconds, null, CancellationToken.None)).Steps;

    public async Task<ClaimedStep> ClaimOneAsync(string workerId, string agent, int leaseSeconds = 30) =>
        Assert.Single(await ClaimAsync(workerId, [agent], 1, leaseSeconds));

    public async Task<string> CompleteAsync(long stepId, Guid leaseToken, string output = "{}") =>
        (await this.ScalarAsync<string>(
            "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => $3::jsonb)",
            stepId, leaseToken, output))!;

    public async Task<string> FailAsync(long stepId, Guid leaseToken, string error = """{"message":"boom"}""", bool retryable = true) =>
        (await this.ScalarAsync<string>(
            "select agent_runtime.fail_step(step_id => $1, lease_token => $2, error => $3::jsonb, retryable => $4)",
            stepId, leaseToken, error, retryable))!;

    public async Task<string> TaskStatusAsync(Guid taskId) =>
        (await this.ScalarAsync<string>("select status from agent_runtime.get_task(task_id => $1)", taskId))!;

    public async Task<string> StepStatusAsync(long stepId) =>
        (await this.ScalarAsync<string>("select status from agent_runtime.steps where id = $1", stepId))!;

    public async Task<long> CountEventsAsync(string type, Guid? taskId = null, long? stepId = null) =>
        await this.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = $1 " +
            "and ($2::uuid is null or task_id = $2) and ($3::bigint is null or step_id = $3)",
            type, (object?)taskId ?? DBNull.Value, (object?)stepId ?? DBNull.Value);

    /// <summary>
    /// Waits until read_events can return every event written so far: it holds back events
    /// while an older transaction is open, and tests in other databases of the cluster run
    /// transactions of their own.
    /// </summary>
    public async Task EventsReadableAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await this.ScalarAsync<bool>(
                   "select coalesce(pg_snapshot_xmin(pg_current_snapshot()) > max(xact_id), true) from agent_runtime.events"))
        {
            Assert.True(DateTime.UtcNow < deadline, "events stayed held back for 30 s");
            await Task.Delay(10);
        }
    }

    /// <summary>Moves a running step's lease into the past, as if its worker had gone silent.</summary>
    public Task ExpireLeaseAsync(long stepId) =>
        this.ExecAsync("update agent_runtime.steps set lease_expires_at = now() - interval '1 second' where id = $1", stepId);

    /// <summary>Makes a step that waits for its run_at (a backoff, a schedule) due now.</summary>
    public Task MakeDueAsync(long stepId) =>
        this.ExecAsync("update agent_runtime.steps set run_at = now() - interval '1 millisecond' where id = $1", stepId);

    public Task ExpireLockAsync(string resource) =>
        this.ExecAsync("update agent_runtime.locks set expires_at = now() - interval '1 second' where resource = $1", resource);
}
