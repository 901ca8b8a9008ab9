using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Tests.A2a;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentRuntime.Tests.Security;

/// <summary>
/// NOTIFY channels are open to every role that can connect, to listen and to send (docs/security.md,
/// "Notifications"): payloads tell another tenant nothing it may not know, and the host, serve and
/// the client take them as hints, so a flood of spoofed ones costs them at most one wasted read per
/// <see cref="Notifications.IdleReadSpacing"/>.
/// </summary>
public sealed class NotificationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    /// <summary>Wasted reads allowed beyond one per spacing during the flood: the first, the one after it, fallback polls.</summary>
    private const int Slack = 10;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    [Fact]
    public async Task A_listener_of_another_tenant_learns_no_task_id_status_or_event_id()
    {
        var agent = await _rt.NewAgentAsync();
        var (victim, victimDb) = await _logins.CreateAsync("agent_runtime_client");
        var (spy, spyDb) = await _logins.CreateAsync("agent_runtime_client");
        await _rt.ExecAsync("select agent_runtime.bind_tenant($1, 'victim-app'), agent_runtime.bind_tenant($2, 'spy-app')", victim, spy);
        var heard = new ConcurrentQueue<(string Channel, string Payload)>();
        await using var connection = await spyDb.OpenConnectionAsync();
        connection.Notification += (_, e) => heard.Enqueue((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand(
            $"listen {WorkerService.WakeupChannel}; listen {Notifications.TaskStatusChannel}; listen {Notifications.EventsChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var task = await victimDb.ScalarAsync<Guid>("select task_id from agent_runtime.submit_task(target => $1, input => '{}')", agent);
        var step = await _rt.ClaimOneAsync("w", agent);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        var eventIds = (await _rt.RowsAsync("select id::text from agent_runtime.events where task_id = $1", task)).Select(r => (string)r[0]!).ToList();
        var stepId = step.StepId.ToString();
        var deadline = Stopwatch.StartNew();
        while (heard.Count(h => h.Channel == Notifications.TaskStatusChannel) < 3 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await connection.WaitAsync(100);
        }

        var tag = Notifications.TaskTag(task);
        Assert.Equal([tag, tag, tag], heard.Where(h => h.Channel == Notifications.TaskStatusChannel).Select(h => h.Payload));
        Assert.Equal(tag, await _rt.ScalarAsync<string>("select left(encode(sha256(convert_to($1::text, 'UTF8')), 'hex'), 16)", task));
        Assert.All(heard.Where(h => h.Channel == Notifications.EventsChannel), h => Assert.Equal("", h.Payload));
        Assert.All(heard.Where(h => h.Channel == WorkerService.WakeupChannel), h => Assert.Equal(agent, h.Payload));
        Assert.Contains(heard, h => h.Channel == Notifications.EventsChannel);
        foreach (var (_, payload) in heard)
        {
            foreach (var secret in new[] { task.ToString(), "victim-app", "submitted", "working", "completed" })
            {
                Assert.DoesNotContain(secret, payload, StringComparison.OrdinalIgnoreCase);
            }
            Assert.DoesNotContain(payload, eventIds.Append(stepId));
        }
    }

    [Fact]
    public async Task A_flood_of_spoofed_wake_ups_costs_an_idle_host_at_most_one_empty_claim_per_spacing()
    {
        await CountFunctionCallsAsync();
        var builder = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = "flooded-host",
            ["Worker:Agents:0"] = "echo",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        using var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromSeconds(30));
        var (_, attacker) = await _logins.CreateAsync("agent_runtime_client");

        var (claims, elapsed, sent) = await CallsDuringFloodAsync("claim_step", attacker, WorkerService.WakeupChannel, _ => "echo");

        var bound = elapsed / Notifications.IdleReadSpacing + Slack;
        Assert.True(claims <= bound,
            $"{sent} spoofed wake-ups in {elapsed.TotalMilliseconds:0} ms made the host claim {claims} times (at most {bound:0} allowed)");
        // The host still works at once.
        var client = new TaskClient(db.DataSource);
        var task = await client.SubmitAsync("echo", new JsonObject { ["after"] = "the flood" });
        Assert.Equal("completed", (await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30))).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Spoofed_and_malformed_status_notifications_cost_serve_a_bounded_number_of_reads_and_break_no_stream()
    {
        var agent = await _rt.NewAgentAsync("idle");
        await CountFunctionCallsAsync();
        await using var server = await InProcessA2a.StartAsync(db.ConnectionString);
        using var rpc = new A2aRpc($"{server.Url}/agents/{agent}");
        var id = (string)(await rpc.CallAsync("SendMessage", A2aRpc.Send(A2aRpc.Text("hi"), returnImmediately: true))).Result!["task"]!["id"]!;
        var taskId = Guid.Parse(id);
        using var stream = await rpc.OpenStreamAsync("SubscribeToTask", new JsonObject { ["id"] = id });
        Assert.NotNull(await stream.NextAsync());
        var waiting = new TaskClient(db.DataSource).WaitAsync(taskId, TimeSpan.FromSeconds(60));
        var (_, attacker) = await _logins.CreateAsync("agent_runtime_client");

        // An attacker who knows the task's id sends its tag over and over, with garbage between.
        var tag = Notifications.TaskTag(taskId);
        var (reads, elapsed, sent) = await CallsDuringFloodAsync("get_a2a_task", attacker, Notifications.TaskStatusChannel,
            i => i % 5 == 0 ? $"{{\"not\": \"a tag {i}\"" : tag);

        var bound = elapsed / Notifications.IdleReadSpacing + Slack;
        Assert.True(reads <= bound,
            $"{sent} spoofed notifications in {elapsed.TotalMilliseconds:0} ms made serve read the task {reads} times (at most {bound:0} allowed)");
        var step = await _rt.ClaimOneAsync("w", agent);
        Assert.Equal("TASK_STATE_WORKING", (string?)(await stream.NextAsync())!["result"]!["statusUpdate"]!["status"]!["state"]);
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);
        Assert.Equal("completed", (await waiting).Status);
    }

    /// <summary>Counts calls of PL/pgSQL functions (pg_stat_user_functions) in sessions opened from now on.</summary>
    private Task CountFunctionCallsAsync() =>
        db.DataSource.ExecAsync($"alter database \"{db.DatabaseName}\" set track_functions = 'pl'");

    /// <summary>
    /// Sends <paramref name="payload"/>(i) on <paramref name="channel"/> as <paramref name="attacker"/>,
    /// each in a transaction of its own (PostgreSQL folds identical notifications of one transaction),
    /// for two seconds, and counts the calls of <paramref name="function"/> that followed.
    /// </summary>
    private async Task<(long Calls, TimeSpan Elapsed, int Sent)> CallsDuringFloodAsync(
        string function, NpgsqlDataSource attacker, string channel, Func<int, string> payload)
    {
        // Backends report their counts when idle, at most once a second.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = await CallsAsync(function);
        await using var connection = await attacker.OpenConnectionAsync();
        await using var notify = new NpgsqlCommand("select pg_notify($1, $2)", connection);
        notify.Parameters.Add(new NpgsqlParameter { Value = channel });
        notify.Parameters.Add(new NpgsqlParameter());
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            notify.Parameters[1].Value = payload(sent++);
            await notify.ExecuteNonQueryAsync();
        }
        var elapsed = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));
        return (await CallsAsync(function) - before, elapsed, sent);
    }

    private async Task<long> CallsAsync(string function) =>
        await db.DataSource.ScalarAsync<long>(
            "select coalesce(sum(calls), 0)::bigint from pg_stat_user_functions where schemaname = 'agent_runtime' and funcname = $1", function);
}
