using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Output;

/// <summary>Every append notifies agent_runtime_task_output with the task's tag (the payload of agent_runtime_task_status), when it commits.</summary>
public sealed class NotifyTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task An_append_notifies_the_tag_of_its_task_on_commit()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        var received = new List<(string Channel, string Payload)>();
        await using var listener = new NpgsqlConnection(db.ConnectionString);
        await listener.OpenAsync();
        listener.Notification += (_, e) => received.Add((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand("listen agent_runtime_task_output", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var append = new NpgsqlCommand(OutputSql.Append, connection, transaction)
                .Bind(step.StepId, step.LeaseToken, "answer", "\"a\"", false);
            await append.ExecuteScalarAsync();
            Assert.False(await listener.WaitAsync(TimeSpan.FromMilliseconds(200)), "notified before the append committed");
            await transaction.CommitAsync();
        }

        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)), "no notification within 10 s");
        Assert.Equal(("agent_runtime_task_output", Notifications.TaskTag(task.TaskId)), Assert.Single(received));
        Assert.Equal(
            await _rt.ScalarAsync<string>("select left(encode(sha256(convert_to($1::text, 'UTF8')), 'hex'), 16)", task.TaskId.ToString()),
            received[0].Payload);
    }
}
