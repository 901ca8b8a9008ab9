using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Client;

/// <summary>Where a SqlCall runs (a data source, a connection, a transaction), and how its errors come out.</summary>
public sealed class RuntimeConnectionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly SqlCall RegisterAgent = SqlCall.Function("register_agent(name, description, input_schema)");
    private static readonly SqlCall SubmitTask = SqlCall.Rows("submit_task(target)", "task_id");
    private static readonly SqlCall<Guid> SubmitTaskRow = SqlCall.Rows("submit_task(target)", "task_id", row => row.Get<Guid>("task_id"));
    private static readonly SqlCall AgentCount = SqlCall.Statement("select count(*) from agent_runtime.agents where name = $1");
    private static readonly SqlCall BackendPid = SqlCall.Statement("select pg_backend_pid()");

    private static string NewName() => $"agent-{Guid.NewGuid():N}"[..18];

    private static NpgsqlParameter[] Registration(string name) => [Sql.Text(name), Sql.Text("test agent"), Sql.Jsonb(new JsonObject())];

    [Fact]
    public async Task A_call_in_a_transaction_runs_inside_it()
    {
        var name = NewName();
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            RuntimeConnection inside = transaction;
            await inside.ExecuteAsync(RegisterAgent, CancellationToken.None, Registration(name));

            Assert.Equal(1L, await inside.ValueAsync<long>(AgentCount, CancellationToken.None, Sql.Text(name)));
            Assert.Equal(0L, await new RuntimeConnection(db.DataSource).ValueAsync<long>(AgentCount, CancellationToken.None, Sql.Text(name)));
            await transaction.RollbackAsync();
        }

        Assert.Equal(0L, await new RuntimeConnection(db.DataSource).ValueAsync<long>(AgentCount, CancellationToken.None, Sql.Text(name)));
    }

    [Fact]
    public async Task A_call_on_a_connection_runs_on_that_connection_and_leaves_it_open()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();

        Assert.Equal(connection.ProcessID, await new RuntimeConnection(connection).ValueAsync<int>(BackendPid, CancellationToken.None));
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task A_call_on_a_data_source_commits_on_its_own()
    {
        var name = NewName();

        await new RuntimeConnection(db.DataSource).ExecuteAsync(RegisterAgent, CancellationToken.None, Registration(name));

        Assert.Equal(1L, await db.DataSource.ScalarAsync<long>("select count(*) from agent_runtime.agents where name = $1", name));
    }

    public static TheoryData<string> Paths() => ["execute", "value", "single", "list", "execute batch", "read batch", "open row"];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task An_ar_error_comes_out_typed_on_every_path(string path)
    {
        RuntimeConnection runtime = db.DataSource;
        var nobody = Sql.Text("nobody");
        Task call = path switch
        {
            "execute" => runtime.ExecuteAsync(SubmitTask, CancellationToken.None, nobody),
            "value" => runtime.ValueAsync<Guid>(SubmitTask, CancellationToken.None, nobody),
            "single" => runtime.SingleAsync(SubmitTaskRow, CancellationToken.None, nobody),
            "list" => runtime.ListAsync(SubmitTaskRow, CancellationToken.None, nobody),
            "execute batch" => runtime.ExecuteBatchAsync(CancellationToken.None, SubmitTask.BatchCommand(nobody)),
            "read batch" => runtime.ReadBatchAsync((reader, ct) => reader.ReadAsync(ct), CancellationToken.None, SubmitTask.BatchCommand(nobody)),
            "open row" => runtime.OpenRowAsync(SubmitTask, CancellationToken.None, nobody),
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };

        var error = await Assert.ThrowsAsync<NotFoundException>(() => call);
        Assert.Equal(ArErrorCodes.AgentNotFound, error.Code);
        Assert.IsType<PostgresException>(error.InnerException);
    }

    [Fact]
    public async Task Other_errors_come_out_as_they_are()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new RuntimeConnection(db.DataSource).ValueAsync<int>(SqlCall.Statement("select 1/0"), CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.DivisionByZero, error.SqlState);
    }

    [Fact]
    public async Task A_batch_on_a_data_source_is_one_transaction()
    {
        var name = NewName();

        await Assert.ThrowsAsync<NotFoundException>(() => new RuntimeConnection(db.DataSource).ExecuteBatchAsync(CancellationToken.None,
            RegisterAgent.BatchCommand(Registration(name)), SubmitTask.BatchCommand(Sql.Text("nobody"))));

        Assert.Equal(0L, await db.DataSource.ScalarAsync<long>("select count(*) from agent_runtime.agents where name = $1", name));
    }

    [Fact]
    public async Task A_call_with_the_wrong_number_of_arguments_is_refused_before_it_runs()
    {
        var name = NewName();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            new RuntimeConnection(db.DataSource).ExecuteAsync(RegisterAgent, CancellationToken.None, Sql.Text(name)));

        Assert.Equal(0L, await db.DataSource.ScalarAsync<long>("select count(*) from agent_runtime.agents where name = $1", name));
    }

    [Fact]
    public async Task A_value_or_a_single_row_that_is_not_there_is_an_error()
    {
        RuntimeConnection runtime = db.DataSource;
        var none = SqlCall.Statement("select 1 where false", row => row.GetInt32(0));

        await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.ValueAsync<int>(none, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.SingleAsync(none, CancellationToken.None));
        Assert.Empty(await runtime.ListAsync(none, CancellationToken.None));
    }
}
