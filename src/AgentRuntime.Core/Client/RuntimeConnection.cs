using System.Data;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.Client;

/// <summary>
/// Where the .NET clients run their <see cref="SqlCall"/>s: a data source (each call on a pooled
/// connection of its own, given back when the call ends), an open connection, or a transaction
/// (the calls run inside it; committing is its owner's). Every call throws the AR errors of the
/// functions as their typed <see cref="AgentRuntimeException"/> and any other error as it is.
/// </summary>
public readonly struct RuntimeConnection
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly NpgsqlConnection? _connection;
    private readonly NpgsqlTransaction? _transaction;

    public RuntimeConnection(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    public RuntimeConnection(NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
    }

    public RuntimeConnection(NpgsqlTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _connection = transaction.Connection ?? throw new ArgumentException("the transaction has ended", nameof(transaction));
        _transaction = transaction;
    }

    public static implicit operator RuntimeConnection(NpgsqlDataSource dataSource) => new(dataSource);

    public static implicit operator RuntimeConnection(NpgsqlConnection connection) => new(connection);

    public static implicit operator RuntimeConnection(NpgsqlTransaction transaction) => new(transaction);

    /// <summary>Runs the call for what it does, reading nothing back.</summary>
    public Task ExecuteAsync(SqlCall call, CancellationToken cancellationToken, params ReadOnlySpan<NpgsqlParameter> arguments) =>
        ExecuteCoreAsync(Command(call, arguments), cancellationToken);

    /// <summary>The first column of the one row the call returns (a function's value); NULL throws.</summary>
    public Task<T> ValueAsync<T>(SqlCall call, CancellationToken cancellationToken, params ReadOnlySpan<NpgsqlParameter> arguments) =>
        ValueCoreAsync<T>(Command(call, arguments), cancellationToken);

    /// <summary>The one row the call returns.</summary>
    public Task<T> SingleAsync<T>(SqlCall<T> call, CancellationToken cancellationToken, params ReadOnlySpan<NpgsqlParameter> arguments) =>
        SingleCoreAsync(Command(call, arguments), call.Read, cancellationToken);

    /// <summary>Every row the call returns, in order.</summary>
    public Task<IReadOnlyList<T>> ListAsync<T>(SqlCall<T> call, CancellationToken cancellationToken,
        params ReadOnlySpan<NpgsqlParameter> arguments) =>
        ListCoreAsync(Command(call, arguments), call.Read, cancellationToken);

    /// <summary>
    /// The one row of the call, read with sequential access: its columns in the order selected, the
    /// last one streamable (<see cref="NpgsqlDataReader.GetStreamAsync"/>) as it arrives. The caller
    /// owns the row; disposing it gives back a connection opened for the call.
    /// </summary>
    public Task<SqlRow> OpenRowAsync(SqlCall call, CancellationToken cancellationToken, params ReadOnlySpan<NpgsqlParameter> arguments) =>
        OpenRowCoreAsync(Command(call, arguments), cancellationToken);

    /// <summary>
    /// Runs commands (<see cref="SqlCall.BatchCommand"/>) in one round trip. Outside a transaction
    /// they are one implicit transaction: one now(), and all of them or none.
    /// </summary>
    public Task ExecuteBatchAsync(CancellationToken cancellationToken, params ReadOnlySpan<NpgsqlBatchCommand> commands) =>
        ExecuteCoreAsync(Batch(commands), cancellationToken);

    /// <summary>
    /// As <see cref="ExecuteBatchAsync"/>, and hands their results to <paramref name="read"/>, which
    /// reads the first and moves on with <see cref="NpgsqlDataReader.NextResultAsync(CancellationToken)"/>.
    /// </summary>
    public Task<T> ReadBatchAsync<T>(Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken,
        params ReadOnlySpan<NpgsqlBatchCommand> commands) =>
        ReadBatchCoreAsync(Batch(commands), read, cancellationToken);

    private NpgsqlCommand Command(SqlCall call, ReadOnlySpan<NpgsqlParameter> arguments)
    {
        var command = _dataSource?.CreateCommand(call.Text) ?? new NpgsqlCommand(call.Text, Connection, _transaction);
        call.Bind(command.Parameters, arguments);
        return command;
    }

    private NpgsqlBatch Batch(ReadOnlySpan<NpgsqlBatchCommand> commands)
    {
        var batch = _dataSource?.CreateBatch() ?? new NpgsqlBatch(Connection, _transaction);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        return batch;
    }

    private NpgsqlConnection Connection =>
        _connection ?? throw new InvalidOperationException("a RuntimeConnection needs a data source, a connection or a transaction");

    private static async Task ExecuteCoreAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var _ = command;
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw typed;
        }
    }

    private static async Task ExecuteCoreAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        await using var _ = batch;
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw typed;
        }
    }

    private static async Task<T> ValueCoreAsync<T>(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var _ = command;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? reader.GetFieldValue<T>(0) : throw NoRow(command);
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw typed;
        }
    }

    private static async Task<T> SingleCoreAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var _ = command;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? read(reader) : throw NoRow(command);
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw typed;
        }
    }

    private static async Task<IReadOnlyList<T>> ListCoreAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellationToken)
    {
        await using var _ = command;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }
            return rows;
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw typed;
        }
    }

    private static async Task<T> ReadBatchCoreAsync<T>(NpgsqlBatch batch, Func<NpgsqlDataReader, CancellationToken, Task<T>> read,
        CancellationToken cancellationToken)
    {
        await using var _ = batch;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            return await read(reader, cancellationToken);
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw typed;
        }
    }

    private static async Task<SqlRow> OpenRowCoreAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        NpgsqlDataReader? reader = null;
        try
        {
            // On a data source the command opens its connection and closes it with the reader.
            reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? new SqlRow(command, reader) : throw NoRow(command);
        }
        catch (Exception failure)
        {
            if (reader is not null)
            {
                await reader.DisposeAsync();
            }
            await command.DisposeAsync();
            if (failure is PostgresException error && AgentRuntimeException.From(error) is { } typed)
            {
                throw typed;
            }
            throw;
        }
    }

    private static InvalidOperationException NoRow(NpgsqlCommand command) => new($"{command.CommandText} returned no row");
}

/// <summary>A row being read (<see cref="RuntimeConnection.OpenRowAsync"/>): disposing it ends the read and its command.</summary>
public sealed class SqlRow : IAsyncDisposable
{
    private readonly NpgsqlCommand _command;

    internal SqlRow(NpgsqlCommand command, NpgsqlDataReader reader)
    {
        _command = command;
        Reader = reader;
    }

    /// <summary>On the row: read its columns in order.</summary>
    public NpgsqlDataReader Reader { get; }

    public async ValueTask DisposeAsync()
    {
        await Reader.DisposeAsync();
        await _command.DisposeAsync();
    }
}
