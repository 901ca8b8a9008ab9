using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentRuntime.Client;

/// <summary>
/// A statement as the .NET clients run it (through <see cref="RuntimeConnection"/>), built once and
/// kept in a static field: mostly a function of <c>agent_runtime</c> called by name with its
/// arguments by position (<c>task_id => $1</c>), bound to parameters typed by <see cref="Sql"/>.
/// <see cref="SqlCall{T}"/> also says how each row it returns is read.
/// </summary>
public partial class SqlCall
{
    private protected SqlCall(string text)
    {
        Text = text;
        Arity = Placeholder().Matches(text).Select(m => int.Parse(m.Groups[1].ValueSpan)).DefaultIfEmpty(0).Max();
    }

    /// <summary>The SQL, its arguments written $1, $2, ...</summary>
    public string Text { get; }

    /// <summary>How many arguments it takes: every call binds exactly these.</summary>
    public int Arity { get; }

    /// <summary>
    /// <c>select agent_runtime.f(a => $1, ...)</c> for the <paramref name="signature"/> <c>f(a, ...)</c>:
    /// the function's value (<see cref="RuntimeConnection.ValueAsync{T}"/>), or none
    /// (<see cref="RuntimeConnection.ExecuteAsync"/>).
    /// </summary>
    public static SqlCall Function(string signature) => new("select " + Call(signature));

    /// <summary><c>select agent_runtime.f(a => $1, ...)</c>: the values of a function returning a set, each read by <paramref name="read"/>.</summary>
    public static SqlCall<T> Function<T>(string signature, Func<NpgsqlDataReader, T> read) => new("select " + Call(signature), read);

    /// <summary><c>select columns from agent_runtime.f(a => $1, ...)</c>, read by a reader of the caller's own.</summary>
    public static SqlCall Rows(string signature, string columns) => new($"select {columns} from {Call(signature)}");

    /// <summary><c>select columns from agent_runtime.f(a => $1, ...)</c>, each row read by <paramref name="read"/>.</summary>
    public static SqlCall<T> Rows<T>(string signature, string columns, Func<NpgsqlDataReader, T> read) =>
        new($"select {columns} from {Call(signature)}", read);

    /// <summary>A statement that is not one function call (its arguments are $1, $2, ...).</summary>
    public static SqlCall Statement(string text) => new(text);

    /// <summary>A statement that is not one function call, each row read by <paramref name="read"/>.</summary>
    public static SqlCall<T> Statement<T>(string text, Func<NpgsqlDataReader, T> read) => new(text, read);

    /// <summary>The call as a command of an <see cref="NpgsqlBatch"/> (<see cref="RuntimeConnection.ExecuteBatchAsync"/>).</summary>
    public NpgsqlBatchCommand BatchCommand(params ReadOnlySpan<NpgsqlParameter> arguments)
    {
        var command = new NpgsqlBatchCommand(Text);
        Bind(command.Parameters, arguments);
        return command;
    }

    internal void Bind(NpgsqlParameterCollection parameters, ReadOnlySpan<NpgsqlParameter> arguments)
    {
        if (arguments.Length != Arity)
        {
            throw new ArgumentException($"{Text} takes {Arity} arguments, not {arguments.Length}", nameof(arguments));
        }
        foreach (var argument in arguments)
        {
            parameters.Add(argument);
        }
    }

    /// <summary><c>agent_runtime.f(a => $1, b => $2)</c> for <c>f(a, b)</c>.</summary>
    private static string Call(string signature)
    {
        var match = Signature().Match(signature);
        if (!match.Success)
        {
            throw new ArgumentException($"not a signature like function(argument, ...): {signature}", nameof(signature));
        }
        var call = new StringBuilder("agent_runtime.").Append(match.Groups["name"].Value).Append('(');
        var arguments = match.Groups["argument"].Captures;
        for (var i = 0; i < arguments.Count; i++)
        {
            call.Append(i == 0 ? "" : ", ").Append(arguments[i].Value).Append(" => $").Append(i + 1);
        }
        return call.Append(')').ToString();
    }

    [GeneratedRegex(@"^(?<name>[a-z_][a-z0-9_]*)\((?:(?<argument>[a-z_][a-z0-9_]*)(?:, *(?<argument>[a-z_][a-z0-9_]*))*)?\)$")]
    private static partial Regex Signature();

    [GeneratedRegex(@"\$([0-9]+)")]
    private static partial Regex Placeholder();
}

/// <summary>A <see cref="SqlCall"/> whose rows are read as <typeparamref name="T"/>: the one place that maps its columns.</summary>
public sealed class SqlCall<T> : SqlCall
{
    internal SqlCall(string text, Func<NpgsqlDataReader, T> read) : base(text) => Read = read;

    /// <summary>Reads the row the reader is on.</summary>
    public Func<NpgsqlDataReader, T> Read { get; }
}
