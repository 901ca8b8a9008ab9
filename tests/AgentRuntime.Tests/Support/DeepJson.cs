using AgentRuntime.Client;

namespace AgentRuntime.Tests.Support;

/// <summary>JSON nested as deep as a test needs, e.g. at or over the SQL API's limit of 64 levels.</summary>
public static class DeepJson
{
    /// <summary>An object of <paramref name="depth"/> levels (<c>{"a": {"a": ... []}}</c>); <c>[]</c> for 1.</summary>
    public static string Object(int depth) =>
        string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "[]" + new string('}', depth - 1);

    /// <summary>
    /// Deeper than the runtime's readers read (<see cref="ClientJson.ReadDepth"/>): what a row
    /// stored before the SQL API refused deep values may hold. Tests plant it with a superuser UPDATE.
    /// </summary>
    public static string Unreadable { get; } = Object(ClientJson.ReadDepth + 10);
}
