namespace AgentRuntime.A2a.Protocol;

/// <summary>The A2A operations, whatever a dialect calls them.</summary>
internal enum A2aMethod
{
    SendMessage,
    SendStreamingMessage,
    GetTask,
    ListTasks,
    CancelTask,
    SubscribeToTask,
    CreatePushConfig,
    GetPushConfig,
    ListPushConfigs,
    DeletePushConfig,
    GetExtendedAgentCard,
}

/// <summary>A message to send: a new task's first, or one to the task it names.</summary>
/// <param name="Message">In the SQL API's shape (A2A 0.3: parts with a kind), without task and context ids.</param>
internal sealed record SendParams(JsonObject Message, string? TaskId, string? ContextId, JsonObject? Metadata, PushConfig? Push,
    int? HistoryLength, bool ReturnImmediately);

/// <summary>A task named by a request (GetTask, CancelTask, SubscribeToTask), with the request's metadata.</summary>
internal sealed record TaskParams(string TaskId, int? HistoryLength, JsonObject? Metadata);

/// <summary>A push config named by a request; <see cref="ConfigId"/> null: the task's configs (list), or its first (0.3 get).</summary>
internal sealed record PushConfigParams(string TaskId, string? ConfigId);

/// <summary>ListTasks, in the SQL API's terms (status as list_tasks spells it).</summary>
internal sealed record ListParams(string? ContextId, string? Status, int PageSize, string? PageToken, int? HistoryLength,
    string? UpdatedAfter, bool IncludeArtifacts);
