namespace AgentRuntime.A2a.Protocol;

/// <summary>
/// One version of the protocol on the wire: its method names, how it spells requests, and how it
/// shows tasks, events and push configs. The endpoint does the same work for both; only the
/// shapes differ. Tasks arrive here as the SQL API's get_a2a_task returns them.
/// </summary>
internal interface IA2aDialect
{
    /// <summary>The protocol version, as the A2A-Version header and agent cards spell it.</summary>
    string Version { get; }

    /// <summary>The method this dialect calls <paramref name="name"/>, if any.</summary>
    bool TryGetMethod(string name, out A2aMethod method);

    SendParams ReadSend(JsonObject parameters);

    TaskParams ReadTask(JsonObject parameters);

    PushConfigParams ReadPushConfigRef(JsonObject parameters, A2aMethod method);

    (string TaskId, PushConfig Config) ReadPushConfig(JsonObject parameters);

    JsonNode SendResult(JsonObject task);

    JsonNode Task(JsonObject task);

    JsonNode Event(TaskEvent update);

    JsonNode PushConfig(StoredPushConfig config);

    JsonNode PushConfigs(IReadOnlyList<StoredPushConfig> configs);
}
