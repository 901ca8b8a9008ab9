using System.Text.Json;

namespace AgentRuntime.A2a.Protocol;

/// <summary>
/// A2A 0.3 (message/send, tasks/get, ...): JSON Schema shapes with a <c>kind</c> on every object,
/// lower-case states, <c>final</c> on status updates. The SQL API stores and returns tasks in this
/// shape already, so tasks go out as get_a2a_task returns them.
/// </summary>
internal sealed class V03Dialect : IA2aDialect
{
    public static V03Dialect Instance { get; } = new();

    private static readonly Dictionary<string, A2aMethod> s_methods = new(StringComparer.Ordinal)
    {
        ["message/send"] = A2aMethod.SendMessage,
        ["message/stream"] = A2aMethod.SendStreamingMessage,
        ["tasks/get"] = A2aMethod.GetTask,
        ["tasks/cancel"] = A2aMethod.CancelTask,
        ["tasks/resubscribe"] = A2aMethod.SubscribeToTask,
        ["tasks/pushNotificationConfig/set"] = A2aMethod.CreatePushConfig,
        ["tasks/pushNotificationConfig/get"] = A2aMethod.GetPushConfig,
        ["tasks/pushNotificationConfig/list"] = A2aMethod.ListPushConfigs,
        ["tasks/pushNotificationConfig/delete"] = A2aMethod.DeletePushConfig,
        ["agent/getAuthenticatedExtendedCard"] = A2aMethod.GetExtendedAgentCard,
    };

    public string Version => "0.3";

    public bool TryGetMethod(string name, out A2aMethod method) => s_methods.TryGetValue(name, out method);

    public SendParams ReadSend(JsonObject parameters)
    {
        var message = Params.Object(parameters["message"], "params.message");
        var configuration = Params.OptionalObject(parameters, "configuration", "params") ?? [];
        var push = Params.OptionalObject(configuration, "pushNotificationConfig", "params.configuration");
        return new SendParams(
            ReadMessage(message),
            Params.OptionalString(message, "taskId", "params.message"),
            Params.OptionalString(message, "contextId", "params.message"),
            Params.OptionalObject(parameters, "metadata", "params"),
            push is null ? null : ReadPushConfig(push, "params.configuration.pushNotificationConfig"),
            Params.OptionalInt(configuration, "historyLength", "params.configuration"),
            // 0.3 blocks unless told not to, as 1.0 does.
            ReturnImmediately: Params.OptionalBool(configuration, "blocking", "params.configuration") == false);
    }

    public TaskParams ReadTask(JsonObject parameters) =>
        new(Params.String(parameters, "id", "params"), Params.OptionalInt(parameters, "historyLength", "params"),
            Params.OptionalObject(parameters, "metadata", "params"));

    public PushConfigParams ReadPushConfigRef(JsonObject parameters, A2aMethod method) =>
        new(Params.String(parameters, "id", "params"), method switch
        {
            A2aMethod.DeletePushConfig => Params.String(parameters, "pushNotificationConfigId", "params"),
            A2aMethod.GetPushConfig => Params.OptionalString(parameters, "pushNotificationConfigId", "params"),
            _ => null,
        });

    public (string TaskId, PushConfig Config) ReadPushConfig(JsonObject parameters) =>
        (Params.String(parameters, "taskId", "params"),
         ReadPushConfig(Params.Object(parameters["pushNotificationConfig"], "params.pushNotificationConfig"),
             "params.pushNotificationConfig"));

    public JsonNode SendResult(JsonObject task) => task.DeepClone();

    public JsonNode Task(JsonObject task) => task.DeepClone();

    public JsonNode Event(TaskEvent update) => update switch
    {
        TaskEvent.Snapshot snapshot => snapshot.Task.DeepClone(),
        TaskEvent.StatusChanged changed => new JsonObject
        {
            ["kind"] = "status-update",
            ["taskId"] = changed.Task["id"]!.DeepClone(),
            ["contextId"] = changed.Task["contextId"]!.DeepClone(),
            ["status"] = changed.Task["status"]!.DeepClone(),
            ["final"] = changed.Final,
        },
        TaskEvent.ArtifactAdded added => new JsonObject
        {
            ["kind"] = "artifact-update",
            ["taskId"] = added.Task["id"]!.DeepClone(),
            ["contextId"] = added.Task["contextId"]!.DeepClone(),
            ["artifact"] = added.Artifact.DeepClone(),
            ["lastChunk"] = true,
        },
        TaskEvent.OutputAppended appended => new JsonObject
        {
            ["kind"] = "artifact-update",
            ["taskId"] = appended.Task["id"]!.DeepClone(),
            ["contextId"] = appended.Task["contextId"]!.DeepClone(),
            ["artifact"] = OutputArtifact.Of((string)appended.Task["id"]!, appended.Chunk),
            ["append"] = appended.Append,
            ["lastChunk"] = appended.Chunk.Last,
            ["metadata"] = OutputArtifact.Metadata(appended.Chunk),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(update)),
    };

    public JsonNode PushConfig(StoredPushConfig config)
    {
        var details = new JsonObject { ["id"] = config.Id.ToString(), ["url"] = config.Url };
        if (config.Token is not null)
        {
            details["token"] = config.Token;
        }
        if (config.Authentication is not null)
        {
            details["authentication"] = config.Authentication.DeepClone();
        }
        return new JsonObject { ["taskId"] = config.TaskId.ToString(), ["pushNotificationConfig"] = details };
    }

    public JsonNode PushConfigs(IReadOnlyList<StoredPushConfig> configs) => new JsonArray([.. configs.Select(PushConfig)]);

    private static PushConfig ReadPushConfig(JsonObject config, string path) =>
        new(Params.PushConfigId(Params.OptionalString(config, "id", path), path),
            Params.String(config, "url", path),
            Params.OptionalString(config, "token", path),
            Params.OptionalObject(config, "authentication", path)?.DeepClone().AsObject());

    /// <summary>The message as the SQL API stores it: its parts checked, its task and context ids left to the request.</summary>
    private static JsonObject ReadMessage(JsonObject message)
    {
        if (Params.String(message, "role", "params.message") != "user")
        {
            throw A2aError.InvalidParams("params.message.role must be \"user\": clients send user messages");
        }
        var parts = Params.Array(message, "parts", "params.message");
        var stored = new JsonObject
        {
            ["kind"] = "message",
            ["messageId"] = Params.String(message, "messageId", "params.message"),
            ["role"] = "user",
            ["parts"] = new JsonArray([.. parts.Select((part, i) => ReadPart(part, $"params.message.parts[{i}]"))]),
        };
        Params.CopyOptional(message, stored, "metadata", "extensions", "referenceTaskIds");
        return stored;
    }

    private static JsonNode ReadPart(JsonNode? node, string path)
    {
        var part = Params.Object(node, path);
        var valid = Params.OptionalString(part, "kind", path) switch
        {
            "text" => part["text"]?.GetValueKind() == JsonValueKind.String,
            "data" => part["data"] is JsonObject,
            "file" => part["file"] is JsonObject file && (file["uri"] is JsonValue || file["bytes"] is JsonValue),
            _ => false,
        };
        return valid
            ? part.DeepClone()
            : throw A2aError.InvalidParams($"{path} must be a text part (kind, text), a data part (kind, data object) or a file part (kind, file with uri or bytes)");
    }
}
