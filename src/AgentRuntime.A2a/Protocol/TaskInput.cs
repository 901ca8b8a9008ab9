namespace AgentRuntime.A2a.Protocol;

/// <summary>
/// The input of a task a message starts (submit_task's input): its data parts' objects merged in
/// order, <c>text</c> the text parts joined by newlines, <c>files</c> the file parts' files.
/// So <c>{"text": "..."}</c> from a plain text message, which is what text agents read.
/// </summary>
internal static class TaskInput
{
    public static JsonObject From(JsonObject message)
    {
        var input = new JsonObject();
        var texts = new List<string>();
        var files = new JsonArray();
        foreach (var part in message["parts"]!.AsArray().Select(p => p!.AsObject()))
        {
            switch ((string?)part["kind"])
            {
                case "text":
                    texts.Add((string)part["text"]!);
                    break;
                case "file":
                    files.Add(part["file"]!.DeepClone());
                    break;
                default:
                    if (part["data"] is not JsonObject data)
                    {
                        throw A2aError.ContentTypeNotSupported(
                            "a data part that starts a task must hold a JSON object: its members become the task's input");
                    }
                    foreach (var (key, value) in data)
                    {
                        input[key] = value?.DeepClone();
                    }
                    break;
            }
        }
        if (texts.Count > 0)
        {
            input["text"] = string.Join("\n", texts);
        }
        if (files.Count > 0)
        {
            input["files"] = files;
        }
        return input;
    }
}
