using AgentRuntime.Client;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.A2a;

/// <summary>A push-notification config in the SQL API's shape (auth: A2A 0.3's {schemes, credentials}).</summary>
internal sealed record PushConfig(Guid? Id, string Url, string? Token, JsonObject? Authentication);

/// <summary>A push-notification config as stored, with its id and task.</summary>
internal sealed record StoredPushConfig(Guid Id, Guid TaskId, string Url, string? Token, JsonObject? Authentication);

/// <summary>A chunk of a task's streamed output (read_output): text when <see cref="Chunk"/> is a JSON string, data otherwise.</summary>
internal sealed record OutputChunk(long Seq, string Artifact, JsonNode? Chunk, int Attempt, bool Last);

/// <summary>A registered agent or workflow (list_targets).</summary>
internal sealed record Target(string Name, string Kind, string Description, DateTimeOffset UpdatedAt);

/// <summary>
/// The SQL API calls behind the A2A methods. Each call is one transaction that first switches to
/// the caller's role with <c>set_config('role', ..., true)</c> (SET LOCAL ROLE): the functions then
/// see that role as their caller and apply its tenant rules, and the switch ends with the
/// transaction, so a pooled connection never carries one caller's role into the next request.
/// Tasks come back as get_a2a_task returns them (A2A 0.3's JSON shape).
/// </summary>
internal sealed class RuntimeClient(NpgsqlDataSource dataSource)
{
    /// <summary>Submits a task (and its push config) and returns it as it is then.</summary>
    public Task<JsonObject> SubmitAsync(Caller caller, string target, JsonObject input, string? contextId, JsonObject options,
        PushConfig? push, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var taskId = await connection.ValueAsync<Guid>(SubmitTask, cancellationToken,
                Sql.Text(target), Sql.Jsonb(input, "input"), Sql.Text(contextId), Sql.Jsonb(options, "options"));
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
            // The caller's message stays as it was: the contextId goes into a copy.
            var sent = message;
            if (contextId is not null)
            {
                sent = message.DeepClone().AsObject();
                sent["contextId"] = contextId;
            }
            var sentAt = await connection.ValueAsync<DateTimeOffset>(SendMessage, cancellationToken, Sql.Uuid(taskId), Sql.Jsonb(sent, "message"));
            if (push is not null)
            {
                await SetPushConfigAsync(connection, taskId, push, cancellationToken);
            }
            return (await GetTaskAsync(connection, taskId, historyLength, cancellationToken), sentAt);
        }, cancellationToken);

    public Task<JsonObject> GetTaskAsync(Caller caller, Guid taskId, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => GetTaskAsync(connection, taskId, historyLength, cancellationToken), cancellationToken);

    /// <summary>
    /// The task, then (read after it, so every chunk committed before the status it shows is among
    /// them) the chunks of its output after <paramref name="afterSeq"/>, at most <paramref name="maxChunks"/>.
    /// </summary>
    public Task<(JsonObject Task, IReadOnlyList<OutputChunk> Output)> GetTaskAndOutputAsync(Caller caller, Guid taskId, int? historyLength,
        long afterSeq, int maxChunks, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var task = await GetTaskAsync(connection, taskId, historyLength, cancellationToken);
            return (task, await connection.ListAsync(ReadOutput, cancellationToken, Sql.Uuid(taskId), Sql.Bigint(afterSeq), Sql.Integer(maxChunks)));
        }, cancellationToken);

    /// <summary>The chunks of the task's output after <paramref name="afterSeq"/>, at most <paramref name="maxChunks"/>, in sequence order.</summary>
    public Task<IReadOnlyList<OutputChunk>> ReadOutputAsync(Caller caller, Guid taskId, long afterSeq, int maxChunks,
        CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => connection.ListAsync(ReadOutput, cancellationToken, Sql.Uuid(taskId), Sql.Bigint(afterSeq),
            Sql.Integer(maxChunks)), cancellationToken);

    /// <summary>
    /// A page of tasks (list_tasks), each as get_a2a_task returns it, and the token of the next
    /// page (null: none). A task this server cannot read is listed with its id, context and state
    /// and why as its status message, so that it spoils only its own place in the page.
    /// </summary>
    public Task<(List<JsonObject> Tasks, string? NextPageToken)> ListTasksAsync(Caller caller, JsonObject filters, int pageSize,
        string? pageToken, int? historyLength, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var rows = await connection.ListAsync(ListTasks, cancellationToken,
                Sql.Jsonb(filters, "filters"), Sql.Integer(pageSize), Sql.Text(pageToken), Sql.Integer(historyLength));
            // list_tasks ends with a short page: a full one may have more after it.
            return (rows.Select(r => r.Task).ToList(), rows.Count == pageSize ? rows[^1].PageToken : null);
        }, cancellationToken);

    /// <summary>Cancels the task and returns it canceled.</summary>
    public Task<JsonObject> CancelTaskAsync(Caller caller, Guid taskId, string? reason, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            await connection.ExecuteAsync(CancelTask, cancellationToken, Sql.Uuid(taskId), Sql.Text(reason));
            return await GetTaskAsync(connection, taskId, null, cancellationToken);
        }, cancellationToken);

    public Task<StoredPushConfig> SetPushConfigAsync(Caller caller, Guid taskId, PushConfig push, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            var id = await SetPushConfigAsync(connection, taskId, push, cancellationToken);
            return await connection.SingleAsync(GetPushConfig, cancellationToken, Sql.Uuid(taskId), Sql.Uuid(id));
        }, cancellationToken);

    public Task<StoredPushConfig> GetPushConfigAsync(Caller caller, Guid taskId, Guid configId, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => connection.SingleAsync(GetPushConfig, cancellationToken, Sql.Uuid(taskId), Sql.Uuid(configId)),
            cancellationToken);

    public Task<IReadOnlyList<StoredPushConfig>> ListPushConfigsAsync(Caller caller, Guid taskId, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => connection.ListAsync(ListPushConfigs, cancellationToken, Sql.Uuid(taskId)), cancellationToken);

    public Task DeletePushConfigAsync(Caller caller, Guid taskId, Guid configId, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, connection => connection.ExecuteAsync(DeletePushConfig, cancellationToken, Sql.Uuid(taskId), Sql.Uuid(configId)),
            cancellationToken);

    /// <summary>The registered agents and workflows (only <paramref name="target"/> when given), as the login role: cards are public.</summary>
    public Task<IReadOnlyList<Target>> ListTargetsAsync(string? target, CancellationToken cancellationToken) =>
        AsCallerAsync(Caller.Anonymous, connection => connection.ListAsync(ListTargets, cancellationToken, Sql.Text(target)), cancellationToken);

    /// <summary>Whether the server's login role may act as <paramref name="role"/> (SET ROLE needs membership).</summary>
    public Task<bool> CanActAsAsync(string role, CancellationToken cancellationToken) =>
        AsCallerAsync(Caller.Anonymous, connection => connection.ValueAsync<bool>(CanActAs, cancellationToken, Sql.Text(role)), cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one transaction as the caller's role; AR errors become A2A errors.</summary>
    internal Task AsCallerAsync(Caller caller, Func<RuntimeConnection, Task> work, CancellationToken cancellationToken) =>
        AsCallerAsync(caller, async connection =>
        {
            await work(connection);
            return true;
        }, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one transaction as the caller's role; AR errors become A2A errors.</summary>
    internal async Task<T> AsCallerAsync<T>(Caller caller, Func<RuntimeConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (caller.Role is { } role)
            {
                await new RuntimeConnection(transaction).ExecuteAsync(SetRole, cancellationToken, Sql.Text(role));
            }
            var result = await work(transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        catch (AgentRuntimeException error)
        {
            throw A2aError.From(error);
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

    private static readonly SqlCall SetRole = SqlCall.Statement("select pg_catalog.set_config('role', $1, true)");

    private static readonly SqlCall SubmitTask = SqlCall.Rows("submit_task(target, input, session_id, options)", "task_id");

    private static readonly SqlCall SendMessage = SqlCall.Rows("send_message(task_id, message)", "created_at");

    private static readonly SqlCall GetA2aTask = SqlCall.Function("get_a2a_task(task_id, history_length)");

    private static readonly SqlCall<(JsonObject Task, string PageToken)> ListTasks = SqlCall.Statement(
        "select agent_runtime.get_a2a_task(t.task_id, $4) as task, t.task_id, t.session_id, t.status, t.updated_at, t.page_token " +
        "from agent_runtime.list_tasks(filters => $1, page_size => $2, page_token => $3) t",
        row =>
        {
            var taskId = row.Get<Guid>("task_id");
            try
            {
                return (ClientJson.Parse(row.Get<string>("task"), $"task {taskId}")!.AsObject(), row.Get<string>("page_token"));
            }
            catch (JsonTooDeepException tooDeep)
            {
                return (UnreadableTask(taskId, row.Get<string>("session_id"), row.Get<string>("status"),
                    row.Get<DateTimeOffset>("updated_at"), tooDeep.Message), row.Get<string>("page_token"));
            }
        });

    private static readonly SqlCall<OutputChunk> ReadOutput = SqlCall.Rows(
        "read_output(task_id, after_seq, max_chunks)", "seq, artifact, chunk, attempt, last",
        row => new OutputChunk(row.Get<long>("seq"), row.Get<string>("artifact"), row.Json("chunk"), row.Get<int>("attempt"),
            row.Get<bool>("last")));

    private static readonly SqlCall CancelTask = SqlCall.Function("cancel_task(task_id, reason)");

    private static readonly SqlCall SetPushConfig = SqlCall.Function("set_push_config(task_id, url, token, auth, config_id)");

    private const string PushConfigColumns = "config_id, task_id, url, token, authentication";

    private static readonly SqlCall<StoredPushConfig> GetPushConfig =
        SqlCall.Rows("get_push_config(task_id, config_id)", PushConfigColumns, ReadPushConfig);

    private static readonly SqlCall<StoredPushConfig> ListPushConfigs =
        SqlCall.Rows("list_push_configs(task_id)", PushConfigColumns, ReadPushConfig);

    private static readonly SqlCall DeletePushConfig = SqlCall.Function("delete_push_config(task_id, config_id)");

    private static readonly SqlCall<Target> ListTargets = SqlCall.Rows(
        "list_targets(target)", "name, kind, description, updated_at",
        row => new Target(row.Get<string>("name"), row.Get<string>("kind"), row.Get<string>("description"),
            row.Get<DateTimeOffset>("updated_at")));

    private static readonly SqlCall CanActAs = SqlCall.Statement(
        "select exists (select from pg_catalog.pg_roles r where r.rolname = $1 and pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER'))");

    private static Task<Guid> SetPushConfigAsync(RuntimeConnection connection, Guid taskId, PushConfig push, CancellationToken cancellationToken) =>
        connection.ValueAsync<Guid>(SetPushConfig, cancellationToken, Sql.Uuid(taskId), Sql.Text(push.Url), Sql.Text(push.Token),
            Sql.Jsonb(push.Authentication, "authentication"), Sql.Uuid(push.Id));

    private static async Task<JsonObject> GetTaskAsync(RuntimeConnection connection, Guid taskId, int? historyLength,
        CancellationToken cancellationToken) =>
        ClientJson.Parse(await connection.ValueAsync<string>(GetA2aTask, cancellationToken, Sql.Uuid(taskId), Sql.Integer(historyLength)),
            $"task {taskId}")!.AsObject();

    private static StoredPushConfig ReadPushConfig(NpgsqlDataReader row) =>
        new(row.Get<Guid>("config_id"), row.Get<Guid>("task_id"), row.Get<string>("url"), row.Text("token"),
            row.Json("authentication") as JsonObject);

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
}
