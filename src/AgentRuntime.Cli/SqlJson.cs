using System.Text.Json.Nodes;
using Npgsql;

namespace AgentRuntime.Cli;

/// <summary>The commands that show what the console shows read one jsonb the SQL builds: --json prints it as it is.</summary>
internal static class SqlJson
{
    public static async Task<JsonNode> QueryAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken,
        params NpgsqlParameter[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        return JsonNode.Parse((string?)await command.ExecuteScalarAsync(cancellationToken) ?? "null") ?? new JsonArray();
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(ClientOutput.Compact),
    };

    public static string Time(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<DateTimeOffset>(out var time) ? ClientOutput.Time(time) : "-";

    public static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 3)] + "...";
}
