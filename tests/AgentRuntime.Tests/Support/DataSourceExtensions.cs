using Npgsql;

namespace AgentRuntime.Tests.Support;

/// <summary>Positional-parameter ($1, $2, ...) helpers for tests, and the "nothing changed" check.</summary>
public static class DataSourceExtensions
{
    public static NpgsqlCommand Command(this NpgsqlDataSource dataSource, string sql, params object?[] args)
    {
        if (args.GetType() != typeof(object[]))
        {
            // A lone string[] binds as the params array itself, not as one text[] argument.
            throw new ArgumentException("Pass a single array argument as (object)array.", nameof(args));
        }
        return dataSource.CreateCommand(sql).Bind(args);
    }

    public static async Task ExecAsync(this NpgsqlDataSource dataSource, string sql, params object?[] args)
    {
        await using var command = dataSource.Command(sql, args);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T?> ScalarAsync<T>(this NpgsqlDataSource dataSource, string sql, params object?[] args)
    {
        await using var command = dataSource.Command(sql, args);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public static async Task<List<object?[]>> RowsAsync(this NpgsqlDataSource dataSource, string sql, params object?[] args)
    {
        await using var command = dataSource.Command(sql, args);
        return await command.RowsAsync();
    }

    /// <summary>Binds <paramref name="args"/> as $1, $2, ... (null as NULL) to <paramref name="command"/>.</summary>
    public static NpgsqlCommand Bind(this NpgsqlCommand command, params object?[] args)
    {
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }
        return command;
    }

    /// <summary>Every row the command returns, each column's value or null.</summary>
    public static async Task<List<object?[]>> RowsAsync(this NpgsqlCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    public static Task ExecAsync(this Runtime runtime, string sql, params object?[] args) =>
        runtime.DataSource.ExecAsync(sql, args);

    public static Task<T?> ScalarAsync<T>(this Runtime runtime, string sql, params object?[] args) =>
        runtime.DataSource.ScalarAsync<T>(sql, args);

    public static Task<List<object?[]>> RowsAsync(this Runtime runtime, string sql, params object?[] args) =>
        runtime.DataSource.RowsAsync(sql, args);

    /// <summary>A digest of every row of every table of the agent_runtime schema.</summary>
    public static async Task<string> StateDigestAsync(this NpgsqlDataSource dataSource)
    {
        var tables = (await dataSource.RowsAsync(
                "select c.relname::text from pg_class c where c.relnamespace = 'agent_runtime'::regnamespace and c.relkind = 'r' order by 1"))
            .Select(r => (string)r[0]!);
        var parts = string.Join(" || ", tables.Select(table =>
            $"(select '{table}:' || md5(coalesce(string_agg(r::text, E'\\n' order by r::text), '')) from agent_runtime.{table} r)"));
        return (await dataSource.ScalarAsync<string>($"select {parts}"))!;
    }

    /// <summary>
    /// Runs a call that must be refused: asserts its SQLSTATE, a hint, and that no table of the schema changed.
    /// </summary>
    public static async Task<PostgresException> FailsWithAsync(this NpgsqlDataSource dataSource, string sqlState, string sql, params object?[] args)
    {
        var before = await dataSource.StateDigestAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => dataSource.ExecAsync(sql, args));
        Assert.True(error.SqlState == sqlState, $"expected SQLSTATE {sqlState}, got {error.SqlState}: {error.MessageText}");
        Assert.False(string.IsNullOrWhiteSpace(error.Hint), $"{sqlState} without a hint: {error.MessageText}");
        Assert.Equal(before, await dataSource.StateDigestAsync());
        return error;
    }

    /// <summary>
    /// A call by <paramref name="caller"/> (a login role) fails with <paramref name="sqlState"/> and
    /// writes nothing, as <paramref name="owner"/> (the database's superuser) sees it.
    /// </summary>
    public static async Task RefusedAsync(this NpgsqlDataSource caller, NpgsqlDataSource owner, string sqlState, string sql, params object?[] args)
    {
        var before = await owner.StateDigestAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => caller.ExecAsync(sql, args));
        Assert.True(error.SqlState == sqlState, $"expected {sqlState} for {sql}, got {error.SqlState}: {error.MessageText}");
        Assert.Equal(before, await owner.StateDigestAsync());
    }

    public static Task<PostgresException> FailsWithAsync(this Runtime runtime, string sqlState, string sql, params object?[] args) =>
        runtime.DataSource.FailsWithAsync(sqlState, sql, args);
}
