using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Tests.Infrastructure;

namespace AgentRuntime.Tests.Client;

/// <summary>How every .NET client binds the SQL API's parameters and reads its rows.</summary>
public sealed class SqlTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Null_is_sql_null_a_null_json_element_is_json_null_and_columns_are_read_by_name()
    {
        await using var command = db.DataSource.CreateCommand(
            "select $1 is null as text_is_null, $2 as n, $3 as doc, ($4)[2] = 'null'::jsonb as element_is_json_null, " +
            "$5 is null as array_is_null, null::timestamptz as never, now() as at, $6 as queues");
        command.Parameters.Add(Sql.Text(null));
        command.Parameters.Add(Sql.Integer(5));
        command.Parameters.Add(Sql.Jsonb(new JsonObject { ["a"] = 1 }));
        command.Parameters.Add(Sql.JsonbArray([new JsonObject(), null]));
        command.Parameters.Add(Sql.JsonbArray(null));
        command.Parameters.Add(Sql.TextArray(["default", "bulk"]));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        // Read in another order than selected: by name, the position does not matter.
        Assert.Equal(["default", "bulk"], reader.Get<string[]>("queues"));
        Assert.Null(reader.Nullable<DateTimeOffset>("never"));
        Assert.NotNull(reader.Nullable<DateTimeOffset>("at"));
        Assert.True(reader.Get<bool>("text_is_null"));
        Assert.Equal(5, reader.Get<int>("n"));
        Assert.Equal(1, (int)reader.Json("doc")!["a"]!);
        Assert.True(reader.Get<bool>("element_is_json_null"));
        Assert.True(reader.Get<bool>("array_is_null"));
        Assert.Throws<IndexOutOfRangeException>(() => reader.Text("no_such_column"));
    }
}
