using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentRuntime.Agents;

/// <summary>
/// The tools of one run of an <see cref="LlmAgent"/>: the agents it names, called in process, and the
/// tools of its Model Context Protocol servers, which it connects to when the run first needs them (a
/// run that replays every call from checkpoints starts none) and closes with the run.
/// </summary>
/// <remarks>
/// What a tool answers goes back to the model, and is what the run records: a result, or
/// <c>{"error": ...}</c> for a failure that will repeat (a failure the agent reports as not retryable, a
/// rejection, a tool the model made up, an MCP tool's error), so the model can read it and go on. A
/// failure that may pass (a retryable agent failure, an MCP server that cannot be reached or does not
/// answer in time) fails the run retryably instead: its retry calls the tool again.
/// </remarks>
internal sealed partial class LlmToolbox(LlmAgentOptions options, Func<string, IAgent?> agents) : IAsyncDisposable
{
    private readonly List<McpClient> _clients = [];
    private Dictionary<string, Tool>? _tools;

    /// <summary>What the model is told of every tool; connects to the MCP servers the first time.</summary>
    public async Task<IList<AITool>> DeclarationsAsync(CancellationToken cancellationToken)
    {
        var tools = await ToolsAsync(cancellationToken);
        return [.. tools.Values.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.Schema))];
    }

    public bool IsEmpty => options.Tools.Count == 0 && options.McpServers.Count == 0;

    /// <summary>Calls the tool <paramref name="name"/>: its result, or <c>{"error"}</c> for a failure that will repeat.</summary>
    /// <exception cref="LlmRunStopped">A failure that may pass: the run fails retryably.</exception>
    public async Task<JsonNode?> CallAsync(AgentContext context, string name, JsonObject arguments, CancellationToken cancellationToken)
    {
        var tools = await ToolsAsync(cancellationToken);
        if (!tools.TryGetValue(name, out var tool))
        {
            return Error($"there is no tool named {name}; the tools are: {string.Join(", ", tools.Keys)}");
        }

        return tool switch
        {
            AgentTool agent => await CallAgentAsync(context, agent.Agent, arguments, cancellationToken),
            McpTool mcp => await CallMcpAsync(mcp, arguments, cancellationToken),
            _ => throw new InvalidOperationException($"unknown kind of tool {tool}"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        _clients.Clear();
    }

    /// <summary>The name a tool has for the model: OpenAI-compatible APIs take 1 to 64 of <c>A-Za-z0-9_-</c>.</summary>
    public static string ToolName(string name)
    {
        var sanitized = ToolNameCharacters().Replace(name, "_");
        return sanitized.Length <= 64 ? sanitized : sanitized[..64];
    }

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex ToolNameCharacters();

    private static JsonObject Error(string message) => new() { ["error"] = message };

    private async Task<Dictionary<string, Tool>> ToolsAsync(CancellationToken cancellationToken)
    {
        if (_tools is not null)
        {
            return _tools;
        }

        var tools = new Dictionary<string, Tool>(StringComparer.Ordinal);
        foreach (var name in options.Tools)
        {
            var agent = agents(name) ?? throw new LlmRunStopped(AgentResult.Fail(
                $"{options.Name}: its tool {name} is not an agent of this host", retryable: false, type: "LlmToolMissing"));
            Add(tools, new AgentTool(ToolName(agent.Name), Describe(agent.Description), AgentSchema(agent.InputSchema), agent), $"agent {name}");
        }

        foreach (var server in options.McpServers)
        {
            var client = await ConnectAsync(server, cancellationToken);
            var listed = await Mcp(server, "list its tools", ct => client.ListToolsAsync(cancellationToken: ct).AsTask(), cancellationToken);
            foreach (var tool in listed)
            {
                Add(tools, new McpTool(ToolName(tool.Name), Describe(tool.Description), tool.JsonSchema, client, tool.Name, server),
                    $"MCP server {server.Name}");
            }
        }

        return _tools = tools;
    }

    private void Add(Dictionary<string, Tool> tools, Tool tool, string source)
    {
        if (!tools.TryAdd(tool.Name, tool))
        {
            throw new LlmRunStopped(AgentResult.Fail(
                $"{options.Name}: two tools are named {tool.Name} (the second from {source}); the model could not tell them apart",
                retryable: false, type: "LlmToolConflict"));
        }
    }

    private static string Describe(string description) => description.Length > 0 ? description : "(no description)";

    // An agent's schema checks only what register_agent checks; the model needs an object schema.
    private static JsonElement AgentSchema(JsonObject schema)
    {
        var copy = (JsonObject)schema.DeepClone();
        copy["type"] ??= "object";
        return JsonSerializer.SerializeToElement(copy);
    }

    private async Task<JsonNode?> CallAgentAsync(AgentContext context, IAgent agent, JsonObject arguments, CancellationToken cancellationToken)
    {
        // The agent runs inside this run, on its lease: it has no checkpoints or streamed output of its own
        // (they would mix with this run's), and its completion's effects are not applied.
        var child = context with { Agent = agent.Name, Input = arguments, ResumedFrom = null, Run = null };
        var result = await agent.InvokeAsync(child, cancellationToken);
        return result switch
        {
            AgentResult.Completed completed => completed.Output?.DeepClone(),
            AgentResult.Failed { Retryable: true } failed => throw new LlmRunStopped(AgentResult.Fail(new JsonObject
            {
                ["message"] = $"{options.Name}: its tool {agent.Name} failed: {Message(failed.Error)}",
                ["type"] = "LlmToolFailed",
                ["tool_error"] = failed.Error.DeepClone(),
            })),
            AgentResult.Failed failed => Error(Message(failed.Error)),
            AgentResult.Rejected rejected => Error($"rejected: {Message(rejected.Reason)}"),
            AgentResult.Yielded yielded => Error($"the agent asked to pause ({yielded.Reason}), which it cannot do as a tool"),
            _ => Error($"the agent ended with {result.GetType().Name}"),
        };
    }

    private static string Message(JsonObject error) =>
        error["message"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : error.ToJsonString();

    private async Task<JsonNode?> CallMcpAsync(McpTool tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        var values = arguments.ToDictionary(p => p.Key, p => (object?)JsonSerializer.SerializeToElement(p.Value));
        CallToolResult result;
        try
        {
            result = await Mcp(tool.Server, $"run its tool {tool.McpName}",
                ct => tool.Client.CallToolAsync(tool.McpName, values, cancellationToken: ct).AsTask(), cancellationToken, toolCall: true);
        }
        catch (McpProtocolException e)
        {
            // The server answered with a JSON-RPC error (an unknown tool, bad arguments): it would answer it again.
            return Error(e.Message);
        }

        var text = string.Join("\n", result.Content.Select(block => block is TextContentBlock textBlock
            ? textBlock.Text
            : JsonSerializer.Serialize(block, McpJsonUtilities.DefaultOptions)));
        if (result.IsError == true)
        {
            return Error(text);
        }

        return result.StructuredContent is { } structured ? JsonNode.Parse(structured.GetRawText()) : text;
    }

    private async Task<McpClient> ConnectAsync(McpServerOptions server, CancellationToken cancellationToken)
    {
        IClientTransport transport;
        if (server.Url is { } url)
        {
            // Checked where the options were read too; checked again here, before any connection.
            if (!SafeUrl.IsLoopback(url))
            {
                throw new LlmRunStopped(AgentResult.Fail(
                    $"{options.Name}: MCP server {server.Name} at {SafeUrl.Display(url)} is not on a loopback address", retryable: false,
                    type: "McpRefused"));
            }

            transport = new HttpClientTransport(new HttpClientTransportOptions { Name = server.Name, Endpoint = url },
                LoopbackHttpClient(), ownsHttpClient: true);
        }
        else
        {
            var environment = StdioClientTransportOptions.GetDefaultEnvironmentVariables();
            foreach (var (key, value) in server.Environment)
            {
                environment[key] = value;
            }

            transport = new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = server.Name,
                Command = server.Command!,
                Arguments = [.. server.Arguments],
                WorkingDirectory = server.WorkingDirectory,
                InheritEnvironmentVariables = false,
                EnvironmentVariables = environment!,
            });
        }

        var client = await Mcp(server, "connect", ct => McpClient.CreateAsync(transport, cancellationToken: ct), cancellationToken);
        _clients.Add(client);
        return client;
    }

    /// <summary>One exchange with an MCP server within the agent's timeout; a failure that may pass fails the run retryably.</summary>
    private async Task<T> Mcp<T>(McpServerOptions server, string what, Func<CancellationToken, Task<T>> exchange,
        CancellationToken cancellationToken, bool toolCall = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            return await exchange(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(server, $"did not {what} within {options.Timeout}", "McpTimeout");
        }
        catch (McpProtocolException) when (toolCall)
        {
            throw;
        }
        catch (Exception e) when (e is McpException or IOException or HttpRequestException or InvalidOperationException or Win32Exception)
        {
            throw Unavailable(server, $"could not {what}: {e.Message}", "McpUnavailable");
        }
    }

    private LlmRunStopped Unavailable(McpServerOptions server, string problem, string type) =>
        new(AgentResult.Fail($"{options.Name}: MCP server {server.Name} {problem}", retryable: true, type: type));

    /// <summary>An HTTP client that connects to loopback addresses only, whatever a name resolves to or a redirect says.</summary>
    private static HttpClient LoopbackHttpClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (connection, cancellationToken) =>
        {
            var addresses = (await Dns.GetHostAddressesAsync(connection.DnsEndPoint.Host, cancellationToken)).Where(IPAddress.IsLoopback).ToArray();
            if (addresses.Length == 0)
            {
                throw new HttpRequestException($"{connection.DnsEndPoint.Host} is not a loopback address");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, connection.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    private abstract record Tool(string Name, string Description, JsonElement Schema);

    private sealed record AgentTool(string Name, string Description, JsonElement Schema, IAgent Agent) : Tool(Name, Description, Schema);

    private sealed record McpTool(string Name, string Description, JsonElement Schema, McpClient Client, string McpName, McpServerOptions Server)
        : Tool(Name, Description, Schema);
}

/// <summary>Ends a run of an <see cref="LlmAgent"/> with <see cref="Result"/> (a failure of the model, a tool or the budget).</summary>
internal sealed class LlmRunStopped(AgentResult result) : Exception((result as AgentResult.Failed)?.Error["message"]?.ToString())
{
    public AgentResult Result { get; } = result;
}
