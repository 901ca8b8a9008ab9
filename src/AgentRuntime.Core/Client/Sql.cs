using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace AgentRuntime.Client;

/// <summary>
/// How every .NET client of the SQL API (TaskClient, SessionClient, StepClient, ...) binds the
/// functions' parameters and reads their rows: parameters typed as the functions declare them,
/// null as SQL NULL; columns by name, so a column the functions add or move breaks nothing.
/// </summary>
public static class Sql
{
    public static NpgsqlParameter Text(string? value) => Typed(value, NpgsqlDbType.Text);

    public static NpgsqlParameter Uuid(Guid? value) => Typed(value, NpgsqlDbType.Uuid);

    public static NpgsqlParameter Integer(int? value) => Typed(value, NpgsqlDbType.Integer);

    public static NpgsqlParameter Bigint(long? value) => Typed(value, NpgsqlDbType.Bigint);

    public static NpgsqlParameter Double(double? value) => Typed(value, NpgsqlDbType.Double);

    public static NpgsqlParameter Boolean(bool? value) => Typed(value, NpgsqlDbType.Boolean);

    public static NpgsqlParameter Timestamp(DateTimeOffset? value) => Typed(value, NpgsqlDbType.TimestampTz);

    /// <summary>A jsonb; <paramref name="what"/> names it when it is nested too deep to write (<see cref="JsonTooDeepException"/>).</summary>
    public static NpgsqlParameter Jsonb(JsonNode? value, string what = "the value") =>
        Typed(value is null ? null : ClientJson.Write(value, what), NpgsqlDbType.Jsonb);

    /// <summary>A jsonb that is never SQL NULL: a null value is JSON <c>null</c> (a checkpoint or chunk may be null).</summary>
    public static NpgsqlParameter JsonbValue(JsonNode? value, string what = "the value") =>
        Typed(ClientJson.Write(value, what), NpgsqlDbType.Jsonb);

    /// <summary>A jsonb[]: a null element is JSON null, not SQL NULL.</summary>
    public static NpgsqlParameter JsonbArray(IEnumerable<JsonNode?>? values, string what = "the value") =>
        Typed(values?.Select(v => ClientJson.Write(v, what)).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Jsonb);

    public static NpgsqlParameter TextArray(IEnumerable<string>? values) =>
        Typed(values?.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);

    /// <summary>A real[]: how the memory functions take an embedding (every language has arrays).</summary>
    public static NpgsqlParameter RealArray(float[]? values) => Typed(values, NpgsqlDbType.Array | NpgsqlDbType.Real);

    public static NpgsqlParameter BigintArray(IEnumerable<long> values) => Typed(values.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint);

    public static NpgsqlParameter UuidArray(IEnumerable<Guid> values) => Typed(values.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid);

    public static NpgsqlParameter BooleanArray(IEnumerable<bool> values) => Typed(values.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Boolean);

    /// <summary>The column's value; throws on NULL (a column the function never leaves NULL).</summary>
    public static T Get<T>(this NpgsqlDataReader row, string column) => row.GetFieldValue<T>(row.GetOrdinal(column));

    /// <summary>The column's value, or null for SQL NULL.</summary>
    public static T? Nullable<T>(this NpgsqlDataReader row, string column) where T : struct
    {
        var ordinal = row.GetOrdinal(column);
        return row.IsDBNull(ordinal) ? null : row.GetFieldValue<T>(ordinal);
    }

    public static string? Text(this NpgsqlDataReader row, string column)
    {
        var ordinal = row.GetOrdinal(column);
        return row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
    }

    /// <summary>
    /// A json or jsonb column (or text holding JSON), parsed; null for SQL NULL. A value nested
    /// deeper than the clients read throws <see cref="JsonTooDeepException"/> naming the column:
    /// catch it per row where one row must not fail the others.
    /// </summary>
    public static JsonNode? Json(this NpgsqlDataReader row, string column) =>
        row.Text(column) is { } json ? ClientJson.Parse(json, column) : null;

    private static NpgsqlParameter Typed(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
