using System.Diagnostics;
using AgentRuntime.A2a;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Cli;

/// <summary>The A2A endpoint and the console on this machine only, for the demo and <c>agent-runtime console</c>.</summary>
internal static class LoopbackServer
{
    /// <summary>
    /// Starts the server on <paramref name="url"/> (default: the endpoint's usual address), or on
    /// a free loopback port when the usual address is taken; returns it and its base URL.
    /// </summary>
    public static async Task<(WebApplication App, string Url)> StartAsync(
        string connectionString, Dictionary<string, string?> overrides, CancellationToken cancellationToken, string? url = null)
    {
        foreach (var listen in url is null ? [A2aOptions.DefaultUrl, "http://127.0.0.1:0"] : new[] { url })
        {
            var app = A2aServer.Build(connectionString, new Dictionary<string, string?>(overrides)
            {
                [$"{A2aOptions.Section}:Urls:0"] = listen,
            });
            try
            {
                await app.StartAsync(cancellationToken);
                return (app, app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            }
            catch (IOException) when (listen == A2aOptions.DefaultUrl && url is null)
            {
                await app.DisposeAsync();
            }
        }
        throw new UnreachableException();
    }
}
