using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Push;
using AgentRuntime.Tests.Agents;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Tests.Push;

/// <summary>The push deliverer in this process, POSTing to a local HTTP receiver.</summary>
public sealed class PushDeliveryServiceTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task<IHost> StartHostAsync(string workerId)
    {
        // The receivers here listen on loopback, which push URLs may only reach when allowed.
        await _rt.ExecAsync("select agent_runtime.set_setting('push.allowed_destinations', '[\"127.0.0.1/32\"]')");
        var host = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = workerId,
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Push:PollInterval"] = "00:00:00.200",
            ["Push:Timeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
        }).Build();
        Assert.Null(AgentRuntimeHost.ValidateConfiguration(host.Services));
        Assert.NotNull(host.Services.GetRequiredService<PushDeliveryService>());
        await host.StartAsync();
        return host;
    }

    private static async Task WaitForAsync(Func<bool> done, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < timeout, what());
            await Task.Delay(50);
        }
    }

    private static List<string> States(IEnumerable<StubRequest> requests, string path) =>
        [.. requests.Where(r => r.Path == path).Select(r => (string)JsonNode.Parse(r.Body)!["status"]!["state"]!)];

    private static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task Every_status_change_reaches_every_config_with_its_bearer_token()
    {
        await using var receiver = new StubHttpServer(_ => new StubResponse(200, "{}"));
        using var host = await StartHostAsync("push-host-1");
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.SetConfigAsync(task.TaskId, $"{receiver.BaseUri}a", "token-a");
        await _rt.SetConfigAsync(task.TaskId, $"{receiver.BaseUri}b", "token-b");

        await _rt.CompleteTaskAsync(task.TaskId, agent);

        await WaitForAsync(() => receiver.Requests.Count >= 4, TimeSpan.FromSeconds(30),
            () => $"{receiver.Requests.Count} of 4 notifications arrived");
        var requests = receiver.Requests.ToList();
        Assert.Equal(4, requests.Count);
        foreach (var (path, token) in new[] { ("/a", "token-a"), ("/b", "token-b") })
        {
            Assert.Equal(["working", "completed"], States(requests, path));
            Assert.All(requests.Where(r => r.Path == path), r =>
            {
                Assert.Equal("POST", r.Method);
                Assert.Equal($"Bearer {token}", r.Headers["Authorization"]);
                Assert.Equal(token, r.Headers["X-A2A-Notification-Token"]);
                Assert.StartsWith("application/json", r.Headers["Content-Type"]);
                var body = JsonNode.Parse(r.Body)!;
                Assert.Equal(task.TaskId.ToString(), (string?)body["taskId"]);
                Assert.Equal(task.SessionId, (string?)body["contextId"]);
                Assert.Equal("status-update", (string?)body["kind"]);
            });
        }
        await WaitForAsync(() => _rt.ScalarAsync<long>(
                "select count(*) from agent_runtime.push_deliveries where task_id = $1 and status = 'delivered' and last_status_code = 200",
                task.TaskId).Result == 4,
            TimeSpan.FromSeconds(10), () => "the deliveries were not recorded as delivered");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_receiver_that_is_down_for_a_while_gets_every_notification_and_tasks_never_wait_for_it()
    {
        // The receiver stays down until the test has seen tasks finish and deliveries retried
        // meanwhile: no clock decides what happens first.
        var up = false;
        await using var receiver = new StubHttpServer(_ => Volatile.Read(ref up)
            ? new StubResponse(200, "{}")
            : new StubResponse(503, "down"));
        using var host = await StartHostAsync("push-host-2");
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.SetConfigAsync(task.TaskId, $"{receiver.BaseUri}hook", "tok");
        await _rt.SetConfigAsync(task.TaskId, $"http://127.0.0.1:{ClosedPort()}/never");

        // Status changes commit while every receiver is down.
        await _rt.CompleteTaskAsync(task.TaskId, agent);
        // The host's own worker runs tasks meanwhile.
        var client = new TaskClient(db.DataSource);
        var echo = await client.SubmitAsync("echo", new JsonObject { ["text"] = "hi" });
        Assert.Equal("completed", (await client.WaitAsync(echo.TaskId, TimeSpan.FromSeconds(30))).Status);
        await WaitForAsync(() => receiver.Requests.Count > 2, TimeSpan.FromSeconds(30),
            () => $"{receiver.Requests.Count} requests while down");
        Volatile.Write(ref up, true);

        await WaitForAsync(() => States(receiver.Requests.Where(r => r.Headers.ContainsKey("Authorization")
                                                                     && r.Body.Contains(task.TaskId.ToString())), "/hook")
                                     .Count(s => s == "completed") >= 1,
            TimeSpan.FromSeconds(30), () => $"{receiver.Requests.Count} requests so far");
        await WaitForAsync(() => _rt.ScalarAsync<long>(
                "select count(*) from agent_runtime.push_deliveries d join agent_runtime.push_configs p on p.id = d.config_id " +
                "where d.task_id = $1 and p.url like '%/hook' and d.status = 'delivered'", task.TaskId).Result == 2,
            TimeSpan.FromSeconds(10), () => "the deliveries were not recorded as delivered");

        var requests = receiver.Requests.ToList();
        Assert.True(requests.Count > 2, "the receiver was never asked while it was down");
        // Every notification arrived after the outage, in order: "working" was retried until then,
        // "completed" waited behind it.
        Assert.Contains("working", States(requests, "/hook"));
        Assert.Equal("completed", States(requests, "/hook")[^1]);
        Assert.True(await _rt.ScalarAsync<int>(
            "select max(attempts) from agent_runtime.push_deliveries where task_id = $1 and status = 'delivered'", task.TaskId) > 1);
        // The closed port keeps being retried, with its error recorded; its next delivery waits in line.
        Assert.True(await _rt.ScalarAsync<bool>(
            "select bool_and(d.status in ('pending', 'delivering')) and bool_or(d.attempts >= 1 and d.last_error is not null) " +
            "from agent_runtime.push_deliveries d join agent_runtime.push_configs p on p.id = d.config_id " +
            "where d.task_id = $1 and p.url like '%/never'", task.TaskId));
        await host.StopAsync();
    }
}
