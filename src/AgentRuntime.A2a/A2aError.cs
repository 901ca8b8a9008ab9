using System.Text.Json.Nodes;
using AgentRuntime.Errors;
using Microsoft.AspNetCore.Http;

namespace AgentRuntime.A2a;

/// <summary>
/// A JSON-RPC error as the endpoint answers it: the code, the message, the <c>google.rpc.ErrorInfo</c>
/// reason A2A 1.0 clients read, the HTTP status it travels with, and (for AR errors) the SQLSTATE and hint.
/// </summary>
internal sealed class A2aError(int code, string reason, string message, int httpStatus = StatusCodes.Status200OK)
    : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public int HttpStatus { get; } = httpStatus;
    public string? SqlState { get; private init; }
    public string? Hint { get; private init; }

    // JSON-RPC 2.0's own codes.
    public static A2aError ParseError(string message) => new(-32700, "PARSE_ERROR", message);
    public static A2aError InvalidRequest(string message) => new(-32600, "INVALID_REQUEST", message);
    public static A2aError MethodNotFound(string method) => new(-32601, "METHOD_NOT_FOUND", $"method \"{method}\" does not exist");
    public static A2aError InvalidParams(string message) => new(-32602, "INVALID_PARAMS", message);
    public static A2aError Internal(string message) => new(-32603, "INTERNAL_ERROR", message);

    // A2A's codes (specification section 5.4).
    public static A2aError TaskNotFound(string message) => new(-32001, "TASK_NOT_FOUND", message);
    public static A2aError TaskNotCancelable(string message) => new(-32002, "TASK_NOT_CANCELABLE", message);
    public static A2aError UnsupportedOperation(string message) => new(-32004, "UNSUPPORTED_OPERATION", message);
    public static A2aError ContentTypeNotSupported(string message) => new(-32005, "CONTENT_TYPE_NOT_SUPPORTED", message);
    public static A2aError VersionNotSupported(string version) =>
        new(-32009, "VERSION_NOT_SUPPORTED", $"A2A-Version {version} is not supported: this endpoint speaks 1.0 and 0.3");

    // The endpoint's own, outside the ranges JSON-RPC and A2A reserve (-32768..-32000).
    public static A2aError Unauthenticated(string message) =>
        new(-31401, "UNAUTHENTICATED", message, StatusCodes.Status401Unauthorized);
    public static A2aError PermissionDenied(string message) => new(-31403, "PERMISSION_DENIED", message);
    public static A2aError RequestTooLarge(long limit) =>
        new(-31413, "REQUEST_TOO_LARGE", $"the request body is over the limit of {limit} bytes", StatusCodes.Status413PayloadTooLarge);
    public static A2aError RateLimited(string caller) =>
        new(-31429, "RATE_LIMITED", $"too many requests from {caller}: slow down and retry after the Retry-After delay",
            StatusCodes.Status429TooManyRequests);

    /// <summary>
    /// The A2A error of an AR error: the one place that maps the SQL API's SQLSTATEs (docs/errors.md)
    /// to JSON-RPC codes (docs/a2a.md). The AR message and hint are meant for clients and go along.
    /// </summary>
    public static A2aError From(AgentRuntimeException error)
    {
        var mapped = error.Code switch
        {
            ArErrorCodes.TaskNotFound or ArErrorCodes.PushConfigNotFound => TaskNotFound(error.Message),
            ArErrorCodes.TaskNotCancelable => TaskNotCancelable(error.Message),
            ArErrorCodes.TaskNotAcceptingMessages => UnsupportedOperation(error.Message),
            ArErrorCodes.AppNotPermitted => PermissionDenied(error.Message),
            ArErrorCodes.InvalidArgument or ArErrorCodes.PayloadTooLarge or ArErrorCodes.UnknownOption
                or ArErrorCodes.InputRejected or ArErrorCodes.AgentNotFound or ArErrorCodes.SessionNotFound
                or ArErrorCodes.PushUrlRefused or ArErrorCodes.WorkflowInvalid => InvalidParams(error.Message),
            _ => Internal(error.Message),
        };
        return new A2aError(mapped.Code, mapped.Reason, mapped.Message, mapped.HttpStatus) { SqlState = error.Code, Hint = error.Hint };
    }

    /// <summary>The JSON-RPC error object: code, message and, as A2A 1.0 asks, an ErrorInfo detail.</summary>
    public JsonObject ToJson()
    {
        var metadata = new JsonObject();
        if (SqlState is not null)
        {
            metadata["sqlstate"] = SqlState;
        }
        if (Hint is not null)
        {
            metadata["hint"] = Hint;
        }
        var info = new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
            ["reason"] = Reason,
            // The endpoint's own codes are not A2A's: they get a domain of their own.
            ["domain"] = Code > -32000 ? "agent-runtime" : "a2a-protocol.org",
        };
        if (metadata.Count > 0)
        {
            info["metadata"] = metadata;
        }
        return new JsonObject { ["code"] = Code, ["message"] = Message, ["data"] = new JsonArray(info) };
    }
}
