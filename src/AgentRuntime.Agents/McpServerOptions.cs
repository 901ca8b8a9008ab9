namespace AgentRuntime.Agents;

/// <summary>
/// A Model Context Protocol server an <see cref="LlmAgent"/> takes tools from: a command it starts and
/// talks to over stdio, or the URL of a Streamable HTTP (or SSE) server on this machine.
/// </summary>
public sealed record McpServerOptions
{
    /// <summary>Names the server in messages and logs.</summary>
    public required string Name { get; init; }

    /// <summary>The program to start (stdio); null when <see cref="Url"/> is given.</summary>
    public string? Command { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>
    /// Variables set for the started program, on top of the few it inherits (PATH, HOME and the like:
    /// never the host's own settings, which hold the database's credentials).
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string? WorkingDirectory { get; init; }

    /// <summary>An http URL on a loopback address (127.0.0.0/8, ::1 or localhost); null when <see cref="Command"/> is given.</summary>
    public Uri? Url { get; init; }

    // The synthesized ToString would print the environment, which may hold credentials.
    public override string ToString() => $"McpServerOptions {{ Name = {Name}, Command = {Command}, Url = {Url} }}";
}
