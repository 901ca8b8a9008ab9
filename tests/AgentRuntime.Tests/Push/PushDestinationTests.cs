using System.Net;
using AgentRuntime.Host;
using AgentRuntime.Host.Push;
using AgentRuntime.Tests.Agents;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Tests.Push;

/// <summary>
/// Push URLs cannot point the host inside the network: set_push_config refuses literal internal
/// destinations, and the host refuses every internal address a name resolves to when it
/// connects. Nothing here sends traffic anywhere but to a receiver on 127.0.0.1 that the test
/// started: refusals are asserted before any connection is made.
/// </summary>
public sealed class PushDestinationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string Set = "select agent_runtime.set_push_config(task_id => $1, url => $2)";
    private readonly Runtime _rt = new(db.DataSource);

    public Task InitializeAsync() => _rt.ExecAsync("select agent_runtime.set_setting('push.allowed_destinations', null)");

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("http://user:pass@example.invalid/hook")]
    [InlineData("http://token@example.invalid/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://LocalHost.:8080/hook")]
    [InlineData("http://api.localhost/hook")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://127.0.0.1:5432/")]
    [InlineData("http://127.1/")]
    [InlineData("http://2130706433/")]
    [InlineData("http://0x7f000001/")]
    [InlineData("http://012.1.1.1/")]
    [InlineData("http://0.0.0.0/")]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://172.16.0.1/")]
    [InlineData("http://172.31.255.255/")]
    [InlineData("http://192.168.1.1/")]
    [InlineData("http://100.64.0.1/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://224.0.0.1/")]
    [InlineData("http://240.0.0.1/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[::]:80/")]
    [InlineData("http://[fd00::1]/")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://[ff02::1]/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    [InlineData("http://[::ffff:10.0.0.1]/")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/")]
    [InlineData("http://[64:ff9b:1::a00:1]/")]   // local-use NAT64 (RFC 8215)
    [InlineData("http://[2002:a9fe:a9fe::]/")]   // 6to4 of 169.254.169.254
    [InlineData("http://[::a9fe:a9fe]/")]        // IPv4-compatible 169.254.169.254
    [InlineData("http://[::ffff:0:a9fe:a9fe]/")] // IPv4-translated
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/")] // Teredo
    [InlineData("http://[fe80::1%25eth0]/")]     // link-local with a zone
    [InlineData("http://[2001:db8::1%25eth0]:8080/")]
    public async Task Set_push_config_refuses_internal_destinations_and_user_info(string url)
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        var refused = await _rt.FailsWithAsync("AR062", Set, task.TaskId, url);

        var userInfo = new Uri(url).UserInfo;
        if (userInfo.Length > 0)
        {
            Assert.DoesNotContain(userInfo, refused.MessageText); // a credential is never echoed
        }
    }

    [Theory]
    [InlineData("https://example.invalid/hook")]
    [InlineData("https://hooks.example.invalid:8443/a?b=c")]
    [InlineData("http://8.8.8.8/hook")]
    [InlineData("http://172.32.0.1/")]
    [InlineData("http://[2001:db8::1]/")]
    [InlineData("https://cafe.be/")]
    public async Task Public_destinations_and_host_names_are_accepted(string url)
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());

        await _rt.ExecAsync(Set, task.TaskId, url);
    }

    [Fact]
    public async Task The_admin_allowlist_re_enables_chosen_names_and_networks_and_nothing_else()
    {
        var task = await _rt.SubmitAsync(await _rt.NewAgentAsync());
        await _rt.ExecAsync("""select agent_runtime.set_setting('push.allowed_destinations', '["127.0.0.1/32", "localhost", "10.9.0.0/16"]')""");

        await _rt.ExecAsync(Set, task.TaskId, "http://127.0.0.1:9000/hook");
        await _rt.ExecAsync(Set, task.TaskId, "http://localhost:9000/hook");
        await _rt.ExecAsync(Set, task.TaskId, "http://10.9.3.4/hook");
        await _rt.FailsWithAsync("AR062", Set, task.TaskId, "http://127.0.0.2/hook");
        await _rt.FailsWithAsync("AR062", Set, task.TaskId, "http://10.8.0.1/hook");
        await _rt.FailsWithAsync("AR062", Set, task.TaskId, "http://api.localhost/hook");
        await _rt.FailsWithAsync("AR062", Set, task.TaskId, "http://user@127.0.0.1/hook");
        Assert.Equal("""{"push.allowed_destinations": ["127.0.0.1/32", "localhost", "10.9.0.0/16"]}""",
            await _rt.ScalarAsync<string>("select agent_runtime.get_settings()::text"));

        await _rt.ExecAsync("select agent_runtime.set_setting('push.allowed_destinations', null)");
        await _rt.FailsWithAsync("AR062", Set, task.TaskId, "http://127.0.0.1:9000/hook");
        Assert.Equal("{}", await _rt.ScalarAsync<string>("select agent_runtime.get_settings()::text"));
    }

    [Theory]
    [InlineData("AR003", "'push.allowed_destination'", "'[]'")]
    [InlineData("AR003", "null", "'[]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'\"10.0.0.0/8\"'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[5]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"not a host!\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"10.0.0.0/33\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"Hooks.Internal\"]'")]
    // Forms PostgreSQL and .NET read differently ("10.1": 10.1.0.0/16 or 10.0.0.1), or a resolver reads as an address
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"10.1\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"10/8\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"010.1.1.1/32\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"0x7f000001\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"hooks.123\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "'[\"10.1.2.3/8\"]'")]
    [InlineData("AR001", "'push.allowed_destinations'", "to_jsonb(array[repeat('a', 64) || '.internal'])")]
    [InlineData("AR001", "'push.allowed_destinations'", "to_jsonb(array[repeat('a.', 125) || 'internal'])")]
    public async Task Bad_settings_are_refused(string code, string key, string value) =>
        await _rt.FailsWithAsync(code, $"select agent_runtime.set_setting({key}, {value}::jsonb)");

    [Fact]
    public async Task Allowlist_entries_that_both_readers_read_alike_are_accepted()
    {
        const string entries = """["hooks.internal", "a-1.b2.example", "localhost", "127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "fd00::/8", "::ffff:10.0.0.0/104"]""";

        await _rt.ExecAsync("select agent_runtime.set_setting('push.allowed_destinations', $1::jsonb)", entries);

        Assert.Equal(entries, await _rt.ScalarAsync<string>("select agent_runtime.get_settings() ->> 'push.allowed_destinations'"));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.20.1.1", true)]
    [InlineData("172.32.1.1", false)]
    [InlineData("192.168.255.1", true)]
    [InlineData("100.127.0.1", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("169.254.169.254", true)]
    [InlineData("224.1.2.3", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("0.1.2.3", true)]
    [InlineData("198.19.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fd12::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("ff05::2", true)]
    [InlineData("::ffff:192.168.0.1", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("64:ff9b:1::a00:1", true)]
    [InlineData("64:ff9b:1:ffff::808:808", true)]
    [InlineData("2002:a9fe:a9fe::", true)]
    [InlineData("2002:a00:1::1", true)]
    [InlineData("2002:808:808::1", true)]
    [InlineData("::a9fe:a9fe", true)]
    [InlineData("::808:808", true)]
    [InlineData("::ffff:0:a9fe:a9fe", true)]
    [InlineData("::ffff:0:808:808", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2606:4700::1111", false)]
    public async Task The_host_and_the_database_classify_addresses_alike(string address, bool @internal)
    {
        var guard = new PushDestinationGuard(db.DataSource);
        await guard.RefreshAsync(CancellationToken.None, force: true);

        var inSql = await _rt.ScalarAsync<string>("select agent_runtime._internal_address_class($1::inet)", address);
        var inHost = guard.InternalAddressClass(IPAddress.Parse(address));

        Assert.Equal(@internal, inHost is not null);
        Assert.Equal(inSql, inHost); // one table, one decision: the same reason
    }

    [Fact]
    public async Task The_host_classifies_nothing_before_it_has_loaded_the_databases_ranges()
    {
        var guard = new PushDestinationGuard(db.DataSource);

        Assert.Throws<InvalidOperationException>(() => guard.InternalAddressClass(IPAddress.Parse("8.8.8.8")));
        await Assert.ThrowsAsync<PushDestinationRefusedException>(() => guard.ResolveAsync("10.0.0.1", CancellationToken.None)); // loads them first
        Assert.Null(guard.InternalAddressClass(IPAddress.Parse("8.8.8.8")));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("169.254.169.254")]
    [InlineData("[::1]")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("[64:ff9b:1::a00:1]")]
    [InlineData("[2002:a9fe:a9fe::]")]
    [InlineData("[::a9fe:a9fe]")]
    [InlineData("[2001:0:4136:e378:8000:63bf:3fff:fdd2]")]
    [InlineData("[fe80::1%eth0]")]
    [InlineData("[fe80::1%25eth0]")]
    [InlineData("[2001:db8::1%1]")]
    public async Task The_host_refuses_internal_destinations_before_connecting(string host)
    {
        var guard = new PushDestinationGuard(db.DataSource); // the ranges load before the first address is looked at

        var refused = await Assert.ThrowsAsync<PushDestinationRefusedException>(() => guard.ResolveAsync(host, CancellationToken.None));

        Assert.Contains(host.Trim('[', ']'), refused.Message);
    }

    [Fact]
    public async Task The_hosts_push_client_refuses_a_loopback_receiver_until_an_admin_allows_it()
    {
        await using var receiver = new StubHttpServer(_ => new StubResponse(200, "{}"));
        using var host = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = "push-guard-host",
        }).Build();
        var guard = host.Services.GetRequiredService<PushDestinationGuard>();
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(PushOptions.HttpClientName);

        await guard.RefreshAsync(CancellationToken.None);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(new Uri(receiver.BaseUri, "hook"), null));
        Assert.IsType<PushDestinationRefusedException>(refused.InnerException);
        Assert.Empty(receiver.Requests);

        await _rt.ExecAsync("""select agent_runtime.set_setting('push.allowed_destinations', '["127.0.0.1/32"]')""");
        await guard.RefreshAsync(CancellationToken.None, force: true); // as the deliverer does within seconds
        using var response = await http.PostAsync(new Uri(receiver.BaseUri, "hook"), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(receiver.Requests);
    }
}
