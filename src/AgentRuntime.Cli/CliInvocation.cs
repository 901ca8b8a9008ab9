using System.CommandLine;
using System.CommandLine.Invocation;

namespace AgentRuntime.Cli;

/// <summary>Parses and runs a command line the way agent-runtime does.</summary>
internal static class CliInvocation
{
    /// <summary>
    /// Without response files: <c>@file</c> is an argument of its own (<c>submit --input @task.json</c>),
    /// not a file of more arguments.
    /// </summary>
    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>Runs the command line; a parse error (unknown option, bad value) exits with <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> InvokeAsync(
        RootCommand root,
        IReadOnlyList<string> args,
        InvocationConfiguration? configuration = null,
        CancellationToken cancellationToken = default)
    {
        var parseResult = root.Parse(args, Parser);
        var code = await parseResult.InvokeAsync(configuration, cancellationToken);
        return parseResult.Action is ParseErrorAction ? ExitCodes.Usage : code;
    }
}
