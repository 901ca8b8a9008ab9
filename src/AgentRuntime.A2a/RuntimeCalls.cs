using AgentRuntime.Client;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.A2a;

/// <summary>A push-notification config in the SQL API's shape (auth: A2A 0.3's {schemes, credentials}).</summary>
internal sealed record PushConfig(Guid? Id, string Url, string? Token, JsonObject? Authentication);

/// <summary>A push-notification config as stored, with its id and task.</summary>
internal sealed record StoredPushConfig(Guid Id, Guid TaskId, string Url, string? Token, JsonObject? Authentication);

/// <summary>A registered agent or workflow (list_targets).</summary>
internal sealed record Target(string Name, string Kind, string Description, DateTimeOffset UpdatedAt);

/// <summary>
/// The SQL API calls behind the A2A methods. Each call is one transaction that first switches to
/// the caller's role with <c>set_config('role', ..., true)</c> (SET LOCAL ROLE): the functions then
/// see that role as their caller and apply its tenant rules, and the switch ends with the
/// transaction, so a pooled connection never carries one caller's role into the next request.
/// Tasks come back as get_a2a_task returns them (A2A 0.3's JSON shape).
/// </summary>
internal sealed class RuntimeCalls(NpgsqlDataSource dataSource)
{
    /// <summary>Submits a task (and its push config) and returns it as it is then.</summary>
    public Task<JsonObject> SubmitAsync(Caller caller, string target, JsonObject input, string? contextId, JsonObject options,
        PushConfig? push, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var taskId = await ScalarAsync<Guid>(connection,
                "select task_id from agent_runtime.submit_task(target => $1, input => $2::jsonb, session_id => $3, options => $4::jsonb)",
                cancellationToken, Sql.Text(target), Sql.Text(ClientJson.Write(input, "input")), Sql.Text(contextId), Sql.Text(ClientJson.Write(options, "options")));
            if (push is not null)
            {
                await SetPushConfigAsync(connection, taskId, push, cancellationToken);
            }
            return await GetTaskAsync(connection, taskId, historyLength, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Sends a message to an unfinished task (send_message: it wakes a step waiting for input) and
    /// returns the task and when the message was appended. The message carries its contextId, which
    /// send_message checks against the task's.
    /// </summary>
    public Task<(JsonObject Task, DateTimeOffset SentAt)> SendMessageAsync(Caller caller, Guid taskId, string? contextId,
        JsonObject message, PushConfig? push, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var sent = message.DeepClone().AsObject();
            if (contextId is not null)
            {
                sent["contextId"] = contextId;
            }
            var sentAt = await ScalarAsync<DateTimeOffset>(connection,
                "select created_at from agent_runtime.send_message(task_id => $1, message => $2::jsonb)",
                cancellationToken, Sql.Uuid(taskId), Sql.Text(ClientJson.Write(sent, "message")));
            if (push is not null)
            {
                await SetPushConfigAsync(connection, taskId, push, cancellationToken);
            }
            return (await GetTaskAsync(connection, taskId, historyLength, cancellationToken), sentAt);
        }, cancellationToken);

    public Task<JsonObject> GetTaskAsync(Caller caller, Guid taskId, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => GetTaskAsync(connection, taskId, historyLength, cancellationToken), cancellationToken);

    /// <summary>
    /// A page of tasks (list_tasks), each as get_a2a_task returns it, and the token of the next
    /// page (null: none). A task this server cannot read is listed with its id, context and state
    /// and why as its status message, so that it spoils only its own place in the page.
    /// </summary>
    public Task<(List<JsonObject> Tasks, string? NextPageToken)> ListTasksAsync(Caller caller, JsonObject filters, int pageSize,
        string? pageToken, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            await using var command = new NpgsqlCommand(
                "select agent_runtime.get_a2a_task(t.task_id, $4)::text as task, t.task_id, t.session_id, t.status, t.updated_at, " +
                "t.page_token " +
                "from agent_runtime.list_tasks(filters => $1::jsonb, page_size => $2, page_token => $3) t", connection);
            command.Parameters.Add(Sql.Text(ClientJson.Write(filters, "filters")));
            command.Parameters.Add(Sql.Integer(pageSize));
            command.Parameters.Add(Sql.Text(pageToken));
            command.Parameters.Add(Sql.Integer(historyLength));
            var tasks = new List<JsonObject>();
            string? last = null;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var taskId = reader.Get<Guid>("task_id");
                try
                {
                    tasks.Add(ClientJson.Parse(reader.Get<string>("task"), $"task {taskId}")!.AsObject());
                }
                catch (JsonTooDeepException tooDeep)
                {
                    tasks.Add(UnreadableTask(taskId, reader.Get<string>("session_id"), reader.Get<string>("status"),
                        reader.Get<DateTimeOffset>("updated_at"), tooDeep.Message));
                }
                last = reader.Get<string>("page_token");
            }
            // list_tasks ends with a short page: a full one may have more after it.
            return (tasks, tasks.Count == pageSize ? last : null);
        }, cancellationToken);

    /// <summary>Cancels the task and returns it canceled.</summary>
    public Task<JsonObject> CancelTaskAsync(Caller caller, Guid taskId, string? reason, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            await ExecuteAsync(connection, "select agent_runtime.cancel_task(task_id => $1, reason => $2)", cancellationToken,
                Sql.Uuid(taskId), Sql.Text(reason));
            return await GetTaskAsync(connection, taskId, null, cancellationToken);
        }, cancellationToken);

    public Task<StoredPushConfig> SetPushConfigAsync(Caller caller, Guid taskId, PushConfig push, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var id = await SetPushConfigAsync(connection, taskId, push, cancellationToken);
            return (await PushConfigsAsync(connection, "get_push_config(task_id => $1, config_id => $2)", cancellationToken,
                Sql.Uuid(taskId), Sql.Uuid(id))).Single();
        }, cancellationToken);

    public Task<StoredPushConfig> GetPushConfigAsync(Caller caller, Guid taskId, Guid configId, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection => (await PushConfigsAsync(connection,
            "get_push_config(task_id => $1, config_id => $2)", cancellationToken, Sql.Uuid(taskId), Sql.Uuid(configId))).Single(),
            cancellationToken);

    public Task<List<StoredPushConfig>> ListPushConfigsAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => PushConfigsAsync(connection, "list_push_configs(task_id => $1)", cancellationToken,
            Sql.Uuid(taskId)), cancellationToken);

    public Task DeletePushConfigAsync(Caller caller, Guid taskId, Guid configId, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => ExecuteAsync(connection,
            "select agent_runtime.delete_push_config(task_id => $1, config_id => $2)", cancellationToken,
            Sql.Uuid(taskId), Sql.Uuid(configId)), cancellationToken);

    /// <summary>The registered agents and workflows (only <paramref name="target"/> when given), as the login role: cards are public.</summary>
    public Task<List<Target>> ListTargetsAsync(string? target, CancellationToken cancellationToken) =>
        AsCallerAsync(Caller.Anonymous, async connection =>
        {
            await using var command = new NpgsqlCommand(
                "select name, kind, description, updated_at from agent_runtime.list_targets(target => $1)", connection);
            command.Parameters.Add(Sql.Text(target));
            var targets = new List<Target>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                targets.Add(new Target(reader.Get<string>("name"), reader.Get<string>("kind"), reader.Get<string>("description"),
                    reader.Get<DateTimeOffset>("updated_at")));
            }
            return targets;
        }, cancellationToken);

    /// <summary>Whether the server's login role may act as <paramref name="role"/> (SET ROLE needs membership).</summary>
    public Task<bool> CanActAsAsync(string role, CancellationToken cancellationToken) =>
        AsCallerAsync(Caller.Anonymous, connection => ScalarAsync<bool>(connection,
            "select exists (select from pg_catalog.pg_roles r where r.rolname = $1 and pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER'))",
            cancellationToken, Sql.Text(role)), cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one transaction as the caller's role; AR errors become A2A errors.</summary>
    internal async Task<T> AsCallerAsync<T>(Caller caller, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (caller.Role is { } role)
            {
                await ExecuteAsync(connection, "select pg_catalog.set_config('role', $1, true)", cancellationToken, Sql.Text(role));
            }
            var result = await work(connection);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        catch (PostgresException error) when (AgentRuntimeException.From(error) is { } typed)
        {
            throw A2aError.From(typed);
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw A2aError.PermissionDenied($"the role of {caller.Name} may not do this: {error.MessageText}");
        }
        catch (JsonTooDeepException error)
        {
            // One task this server cannot read: an error for that task, not a failed server.
            throw A2aError.Internal(error.Message);
        }
    }

    private static Task<Guid> SetPushConfigAsync(NpgsqlConnection connection, Guid taskId, PushConfig push, CancellationToken cancellationToken) =>
        ScalarAsync<Guid>(connection,
            "select agent_runtime.set_push_config(task_id => $1, url => $2, token => $3, auth => $4::jsonb, config_id => $5)",
            cancellationToken, Sql.Uuid(taskId), Sql.Text(push.Url), Sql.Text(push.Token), Sql.Text(push.Authentication is null ? null : ClientJson.Write(push.Authentication, "authentication")), Sql.Uuid(push.Id));

    private static async Task<JsonObject> GetTaskAsync(NpgsqlConnection connection, Guid taskId, int? historyLength,
        CancellationToken cancellationToken) =>
        ClientJson.Parse(await ScalarAsync<string>(connection,
            "select agent_runtime.get_a2a_task(task_id => $1, history_length => $2)::text",
            cancellationToken, Sql.Uuid(taskId), Sql.Integer(historyLength)), $"task {taskId}")!.AsObject();

    /// <summary>A task as get_a2a_task shapes it, with only what needs no JSON read: why it cannot be shown is its status message.</summary>
    private static JsonObject UnreadableTask(Guid taskId, string contextId, string state, DateTimeOffset updatedAt, string reason) => new()
    {
        ["kind"] = "task",
        ["id"] = taskId.ToString(),
        ["contextId"] = contextId,
        ["status"] = new JsonObject
        {
            ["state"] = state,
            ["timestamp"] = ClientJson.Timestamp(updatedAt),
            ["message"] = new JsonObject
            {
                ["kind"] = "message",
                ["messageId"] = $"{taskId}:unreadable",
                ["role"] = "agent",
                ["parts"] = new JsonArray(new JsonObject { ["kind"] = "text", ["text"] = reason }),
                ["taskId"] = taskId.ToString(),
                ["contextId"] = contextId,
            },
        },
        ["history"] = new JsonArray(),
        ["artifacts"] = new JsonArray(),
        ["metadata"] = new JsonObject(),
    };

    private static async Task<List<StoredPushConfig>> PushConfigsAsync(NpgsqlConnection connection, string call,
        CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(
            $"select config_id, task_id, url, token, authentication::text from agent_runtime.{call}", connection);
        command.Parameters.AddRange(parameters);
        var configs = new List<StoredPushConfig>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            configs.Add(new StoredPushConfig(reader.Get<Guid>("config_id"), reader.Get<Guid>("task_id"), reader.Get<string>("url"),
                reader.Text("token"), reader.Json("authentication") as JsonObject));
        }
        return configs;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetFieldValue<T>(0);
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

}
