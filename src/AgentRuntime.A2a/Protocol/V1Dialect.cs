using System.Text.Json;

namespace AgentRuntime.A2a.Protocol;

/// <summary>
/// A2A 1.0 (SendMessage, GetTask, ...): the protobuf JSON mapping of a2a.proto. Parts carry one
/// of text, data, url or raw instead of a kind; states and roles are enum names
/// (TASK_STATE_COMPLETED, ROLE_USER); empty lists are left out. Tasks are turned into this shape
/// from the SQL API's (0.3) one, and messages from it into that one.
/// </summary>
internal sealed class V1Dialect : IA2aDialect
{
    public static V1Dialect Instance { get; } = new();

    private const string StatePrefix = "TASK_STATE_";

    private static readonly Dictionary<string, A2aMethod> s_methods = new(StringComparer.Ordinal)
    {
        ["SendMessage"] = A2aMethod.SendMessage,
        ["SendStreamingMessage"] = A2aMethod.SendStreamingMessage,
        ["GetTask"] = A2aMethod.GetTask,
        ["ListTasks"] = A2aMethod.ListTasks,
        ["CancelTask"] = A2aMethod.CancelTask,
        ["SubscribeToTask"] = A2aMethod.SubscribeToTask,
        ["CreateTaskPushNotificationConfig"] = A2aMethod.CreatePushConfig,
        ["GetTaskPushNotificationConfig"] = A2aMethod.GetPushConfig,
        ["ListTaskPushNotificationConfigs"] = A2aMethod.ListPushConfigs,
        ["DeleteTaskPushNotificationConfig"] = A2aMethod.DeletePushConfig,
        ["GetExtendedAgentCard"] = A2aMethod.GetExtendedAgentCard,
    };

    public string Version => "1.0";

    public bool TryGetMethod(string name, out A2aMethod method) => s_methods.TryGetValue(name, out method);

    public SendParams ReadSend(JsonObject parameters)
    {
        var message = Params.Object(parameters["message"], "params.message");
        var configuration = Params.OptionalObject(parameters, "configuration", "params") ?? [];
        var push = Params.OptionalObject(configuration, "taskPushNotificationConfig", "params.configuration");
        return new SendParams(
            ReadMessage(message),
            Params.OptionalString(message, "taskId", "params.message"),
            Params.OptionalString(message, "contextId", "params.message"),
            Params.OptionalObject(parameters, "metadata", "params"),
            push is null ? null : ReadPushConfig(push, "params.configuration.taskPushNotificationConfig"),
            Params.OptionalInt(configuration, "historyLength", "params.configuration"),
            Params.OptionalBool(configuration, "returnImmediately", "params.configuration") ?? false);
    }

    public TaskParams ReadTask(JsonObject parameters) =>
        new(Params.String(parameters, "id", "params"), Params.OptionalInt(parameters, "historyLength", "params"),
            Params.OptionalObject(parameters, "metadata", "params"));

    public PushConfigParams ReadPushConfigRef(JsonObject parameters, A2aMethod method) =>
        new(Params.String(parameters, "taskId", "params"),
            method == A2aMethod.ListPushConfigs ? null : Params.String(parameters, "id", "params"));

    public (string TaskId, PushConfig Config) ReadPushConfig(JsonObject parameters) =>
        (Params.String(parameters, "taskId", "params"), ReadPushConfig(parameters, "params"));

    /// <summary>ListTasks (1.0 only): contextId, status, pageSize (1-100, default 50), pageToken, historyLength, statusTimestampAfter, includeArtifacts.</summary>
    public static ListParams ReadList(JsonObject parameters)
    {
        var pageSize = Params.OptionalInt(parameters, "pageSize", "params") ?? 50;
        if (pageSize is < 1 or > 100)
        {
            throw A2aError.InvalidParams($"params.pageSize must be from 1 to 100, got {pageSize}");
        }
        var status = Params.OptionalString(parameters, "status", "params") switch
        {
            null or "TASK_STATE_UNSPECIFIED" => null,
            { } state when state.StartsWith(StatePrefix, StringComparison.Ordinal) =>
                state[StatePrefix.Length..].ToLowerInvariant().Replace('_', '-'),
            { } state => throw A2aError.InvalidParams($"params.status \"{state}\" is not a task state (TASK_STATE_WORKING, ...)"),
        };
        return new ListParams(
            Params.OptionalString(parameters, "contextId", "params"),
            status,
            pageSize,
            Params.OptionalString(parameters, "pageToken", "params") is { Length: > 0 } token ? token : null,
            Params.OptionalInt(parameters, "historyLength", "params"),
            Params.OptionalString(parameters, "statusTimestampAfter", "params"),
            Params.OptionalBool(parameters, "includeArtifacts", "params") ?? false);
    }

    /// <summary>
    /// ListTasksResponse. totalSize is left out: counting every matching task would cost a scan
    /// on each page (clients page until nextPageToken is empty).
    /// </summary>
    public static JsonNode ListResult(IReadOnlyList<JsonObject> tasks, string? nextPageToken, int pageSize, bool includeArtifacts) =>
        new JsonObject
        {
            ["tasks"] = new JsonArray([.. tasks.Select(task =>
            {
                var shown = Instance.Task(task).AsObject();
                if (includeArtifacts)
                {
                    shown["artifacts"] ??= new JsonArray();
                }
                else
                {
                    shown.Remove("artifacts");
                }
                return (JsonNode)shown;
            })]),
            ["nextPageToken"] = nextPageToken ?? "",
            ["pageSize"] = pageSize,
        };

    public JsonNode SendResult(JsonObject task) => new JsonObject { ["task"] = Task(task) };

    public JsonNode Task(JsonObject task)
    {
        var shown = new JsonObject
        {
            ["id"] = task["id"]!.DeepClone(),
            ["contextId"] = task["contextId"]!.DeepClone(),
            ["status"] = Status(task["status"]!.AsObject()),
        };
        AddList(shown, "artifacts", task["artifacts"], Artifact);
        AddList(shown, "history", task["history"], Message);
        if (task["metadata"] is JsonObject { Count: > 0 } metadata)
        {
            shown["metadata"] = metadata.DeepClone();
        }
        return shown;
    }

    public JsonNode Event(TaskEvent update) => update switch
    {
        TaskEvent.Snapshot snapshot => new JsonObject { ["task"] = Task(snapshot.Task) },
        TaskEvent.StatusChanged changed => new JsonObject
        {
            ["statusUpdate"] = new JsonObject
            {
                ["taskId"] = changed.Task["id"]!.DeepClone(),
                ["contextId"] = changed.Task["contextId"]!.DeepClone(),
                ["status"] = Status(changed.Task["status"]!.AsObject()),
            },
        },
        TaskEvent.ArtifactAdded added => new JsonObject
        {
            ["artifactUpdate"] = new JsonObject
            {
                ["taskId"] = added.Task["id"]!.DeepClone(),
                ["contextId"] = added.Task["contextId"]!.DeepClone(),
                ["artifact"] = Artifact(added.Artifact),
                ["lastChunk"] = true,
            },
        },
        TaskEvent.OutputAppended appended => new JsonObject
        {
            ["artifactUpdate"] = new JsonObject
            {
                ["taskId"] = appended.Task["id"]!.DeepClone(),
                ["contextId"] = appended.Task["contextId"]!.DeepClone(),
                ["artifact"] = Artifact(OutputArtifact.Of((string)appended.Task["id"]!, appended.Chunk)),
                ["append"] = appended.Append,
                ["lastChunk"] = appended.Chunk.Last,
                ["metadata"] = OutputArtifact.Metadata(appended.Chunk),
            },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(update)),
    };

    public JsonNode PushConfig(StoredPushConfig config)
    {
        var shown = new JsonObject { ["id"] = config.Id.ToString(), ["taskId"] = config.TaskId.ToString(), ["url"] = config.Url };
        if (config.Token is not null)
        {
            shown["token"] = config.Token;
        }
        // The SQL API keeps 0.3's {schemes, credentials}; 1.0 has one scheme.
        if (config.Authentication is { } authentication)
        {
            var scheme = (authentication["schemes"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? "";
            shown["authentication"] = new JsonObject { ["scheme"] = scheme, ["credentials"] = authentication["credentials"]?.DeepClone() };
        }
        return shown;
    }

    public JsonNode PushConfigs(IReadOnlyList<StoredPushConfig> configs) =>
        new JsonObject { ["configs"] = new JsonArray([.. configs.Select(PushConfig)]), ["nextPageToken"] = "" };

    private static PushConfig ReadPushConfig(JsonObject config, string path)
    {
        var authentication = Params.OptionalObject(config, "authentication", path);
        return new PushConfig(
            Params.PushConfigId(Params.OptionalString(config, "id", path) is { Length: > 0 } id ? id : null, path),
            Params.String(config, "url", path),
            Params.OptionalString(config, "token", path) is { Length: > 0 } token ? token : null,
            authentication is null ? null : new JsonObject
            {
                ["schemes"] = new JsonArray(Params.String(authentication, "scheme", $"{path}.authentication")),
                ["credentials"] = Params.OptionalString(authentication, "credentials", $"{path}.authentication"),
            });
    }

    private static JsonNode Status(JsonObject status)
    {
        var shown = new JsonObject
        {
            ["state"] = StatePrefix + ((string)status["state"]!).ToUpperInvariant().Replace('-', '_'),
            ["timestamp"] = status["timestamp"]?.DeepClone(),
        };
        if (status["message"] is JsonObject message)
        {
            shown["message"] = Message(message);
        }
        return shown;
    }

    private static JsonNode Message(JsonNode? node)
    {
        var message = node!.AsObject();
        var shown = new JsonObject
        {
            ["messageId"] = message["messageId"]?.DeepClone(),
            ["role"] = (string?)message["role"] == "user" ? "ROLE_USER" : "ROLE_AGENT",
            ["parts"] = new JsonArray([.. (message["parts"] as JsonArray ?? []).Select(Part)]),
        };
        Params.CopyOptional(message, shown, "contextId", "taskId", "metadata", "extensions", "referenceTaskIds");
        return shown;
    }

    private static JsonNode Artifact(JsonNode? node)
    {
        var artifact = node!.AsObject();
        var shown = new JsonObject
        {
            ["artifactId"] = artifact["artifactId"]?.DeepClone(),
            ["parts"] = new JsonArray([.. (artifact["parts"] as JsonArray ?? []).Select(Part)]),
        };
        Params.CopyOptional(artifact, shown, "name", "description", "metadata", "extensions");
        return shown;
    }

    /// <summary>A part of the SQL API's shape (kind text, data or file) in 1.0's (text, data, url or raw).</summary>
    private static JsonNode Part(JsonNode? node)
    {
        var part = node!.AsObject();
        var shown = new JsonObject();
        switch ((string?)part["kind"])
        {
            case "text":
                shown["text"] = part["text"]?.DeepClone();
                break;
            case "file":
                var file = part["file"]!.AsObject();
                if (file["uri"] is { } uri)
                {
                    shown["url"] = uri.DeepClone();
                }
                else
                {
                    shown["raw"] = file["bytes"]?.DeepClone();
                }
                if (file["mimeType"] is { } mediaType)
                {
                    shown["mediaType"] = mediaType.DeepClone();
                }
                if (file["name"] is { } filename)
                {
                    shown["filename"] = filename.DeepClone();
                }
                break;
            default:
                shown["data"] = part["data"]?.DeepClone();
                break;
        }
        Params.CopyOptional(part, shown, "metadata");
        return shown;
    }

    /// <summary>A client's 1.0 message in the SQL API's shape, its parts checked.</summary>
    private static JsonObject ReadMessage(JsonObject message)
    {
        if (Params.String(message, "role", "params.message") != "ROLE_USER")
        {
            throw A2aError.InvalidParams("params.message.role must be ROLE_USER: clients send user messages");
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
        JsonObject stored;
        if (part["text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            stored = new JsonObject { ["kind"] = "text", ["text"] = text.DeepClone() };
        }
        else if (part.ContainsKey("data"))
        {
            stored = new JsonObject { ["kind"] = "data", ["data"] = part["data"]?.DeepClone() };
        }
        else if (part["url"] is JsonValue || part["raw"] is JsonValue)
        {
            var file = new JsonObject();
            if (part["url"] is { } url)
            {
                file["uri"] = url.DeepClone();
            }
            else
            {
                file["bytes"] = part["raw"]!.DeepClone();
            }
            Rename(part, "mediaType", file, "mimeType");
            Rename(part, "filename", file, "name");
            stored = new JsonObject { ["kind"] = "file", ["file"] = file };
        }
        else
        {
            throw A2aError.InvalidParams($"{path} must have one of text, data, url or raw");
        }
        Params.CopyOptional(part, stored, "metadata");
        return stored;
    }

    private static void Rename(JsonObject from, string name, JsonObject to, string newName)
    {
        if (from[name] is { } value)
        {
            to[newName] = value.DeepClone();
        }
    }

    private static void AddList(JsonObject shown, string name, JsonNode? items, Func<JsonNode?, JsonNode> convert)
    {
        if (items is JsonArray { Count: > 0 } list)
        {
            shown[name] = new JsonArray([.. list.Select(convert)]);
        }
    }
}
