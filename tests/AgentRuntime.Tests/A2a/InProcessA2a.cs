using AgentRuntime.A2a;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Tests.A2a;

/// <summary>The A2A endpoint in the test's own process, on a free loopback port, without a worker.</summary>
public sealed class InProcessA2a : IAsyncDisposable
{
    private InProcessA2a(WebApplication app, string url)
    {
        App = app;
        Url = url;
    }

    public WebApplication App { get; }

    public string Url { get; }

    public static async Task<InProcessA2a> StartAsync(string connectionString, Dictionary<string, string?>? settings = null)
    {
        var overrides = new Dictionary<string, string?>(settings ?? []) { [$"{A2aOptions.Section}:Urls:0"] = "http://127.0.0.1:0" };
        var app = A2aServer.Build(connectionString, overrides);
        Assert.Null(await A2aServer.CheckAsync(app, CancellationToken.None));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new InProcessA2a(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
