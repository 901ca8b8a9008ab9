using System.Collections.Concurrent;
using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class NotifyTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed class Listener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private readonly ConcurrentDictionary<string, BlockingCollection<string>> _received = new();

        private BlockingCollection<string> Channel(string name) => _received.GetOrAdd(name, _ => new BlockingCollection<string>());

        private Listener(NpgsqlConnection connection)
        {
            _connection = connection;
            _connection.Notification += (_, e) => Channel(e.Channel).Add(e.Payload);
            _loop = Task.Run(async () =>
            {
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        await _connection.WaitAsync(_stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        public static async Task<Listener> StartAsync(string connectionString)
        {
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using (var listen = new NpgsqlCommand(
                "listen agent_runtime_wakeup; listen agent_runtime_task_status; listen agent_runtime_events", connection))
            {
                await listen.ExecuteNonQueryAsync();
            }
            return new Listener(connection);
        }

        /// <summary>The next payload on a channel, in the order PostgreSQL delivered them.</summary>
        public string Next(string channel) =>
            Channel(channel).TryTake(out var payload, TimeSpan.FromSeconds(10))
                ? payload
                : throw new TimeoutException($"no notification on {channel} within 10 s");

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _loop;
            await _connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_listener_is_woken_by_submit_and_told_of_each_status_change()
    {
        var agent = await _rt.NewAgentAsync();
        await using var listener = await Listener.StartAsync(db.ConnectionString);

        var task = await _rt.SubmitAsync(agent);
        var tag = Notifications.TaskTag(task.TaskId);
        Assert.Equal(agent, listener.Next("agent_runtime_wakeup"));
        Assert.Equal(tag, listener.Next("agent_runtime_task_status"));

        var step = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal(tag, listener.Next("agent_runtime_task_status"));

        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        Assert.Equal(tag, listener.Next("agent_runtime_task_status"));
        Assert.Equal("completed", await _rt.TaskStatusAsync(task.TaskId));
        Assert.Equal("", listener.Next("agent_runtime_events"));
    }

    [Fact]
    public async Task A_task_scheduled_for_later_wakes_its_hosts_so_they_learn_its_due_time()
    {
        var later = await _rt.NewAgentAsync("later");
        await using var listener = await Listener.StartAsync(db.ConnectionString);

        await _rt.SubmitAsync(later, options: $$"""{"run_at":"{{DateTime.UtcNow.AddHours(1):O}}"}""");

        Assert.Equal(later, listener.Next("agent_runtime_wakeup"));
        var due = await _rt.ScalarAsync<DateTime>("select agent_runtime.next_due_at(array[$1])", later);
        Assert.InRange(due, DateTime.UtcNow.AddMinutes(59), DateTime.UtcNow.AddMinutes(61));
    }
}
