using Npgsql;

namespace AgentRuntime.Errors;

/// <summary>An agent_runtime function refused a call; <see cref="Code"/> is its SQLSTATE.</summary>
public class AgentRuntimeException(string code, string message, string? hint, PostgresException inner)
    : Exception(message, inner)
{
    public string Code { get; } = code;
    public string? Hint { get; } = hint;

    /// <summary>
    /// The typed exception for an AR error, or null when the error is not one of ours
    /// (a connection failure, a deadlock) and should propagate as it is.
    /// </summary>
    public static AgentRuntimeException? From(PostgresException error)
    {
        var code = error.SqlState;
        var hint = error.Hint;
        var message = error.MessageText;
        return code switch
        {
            ArErrorCodes.InvalidArgument or ArErrorCodes.UnknownOption or ArErrorCodes.WorkflowInvalid
                or ArErrorCodes.EmbeddingDimensionMismatch
                => new InvalidArgumentException(code, message, hint, error),
            ArErrorCodes.PayloadTooLarge => new PayloadTooLargeException(code, message, hint, error),
            ArErrorCodes.InputRejected => new InputRejectedException(code, message, hint, error),
            ArErrorCodes.AgentNotFound or ArErrorCodes.TaskNotFound or ArErrorCodes.StepNotFound or ArErrorCodes.RoleNotFound
                or ArErrorCodes.SessionNotFound or ArErrorCodes.PushConfigNotFound or ArErrorCodes.PushDeliveryNotFound
                or ArErrorCodes.ArtifactNotFound or ArErrorCodes.MemoryNotFound
                => new NotFoundException(code, message, hint, error),
            ArErrorCodes.StaleLease => new StaleLeaseException(code, message, hint, error),
            ArErrorCodes.TaskNotCancelable or ArErrorCodes.TaskNotRetryable or ArErrorCodes.TaskNotAcceptingMessages
                or ArErrorCodes.StepNotRequeueable
                => new InvalidTaskStateException(code, message, hint, error),
            ArErrorCodes.MemoryDimensionsInUse => new MemoryDimensionsInUseException(code, message, hint, error),
            ArErrorCodes.LockNotHeld => new LockNotHeldException(code, message, hint, error),
            ArErrorCodes.SessionExists or ArErrorCodes.NameInUse => new AlreadyExistsException(code, message, hint, error),
            ArErrorCodes.SequenceConflict => new SessionConflictException(code, message, hint, error),
            ArErrorCodes.PushUrlRefused or ArErrorCodes.AppNotPermitted or ArErrorCodes.AgentNotOwned
                => new NotPermittedException(code, message, hint, error),
            _ when code.StartsWith("AR", StringComparison.Ordinal)
                => new AgentRuntimeException(code, message, hint, error),
            _ => null,
        };
    }
}

public sealed class InvalidArgumentException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

public sealed class PayloadTooLargeException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

public sealed class InputRejectedException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

public sealed class NotFoundException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

/// <summary>The step's lease moved on: another run owns it, so this result must be dropped.</summary>
public sealed class StaleLeaseException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

public sealed class InvalidTaskStateException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

/// <summary>The lock was lost: stop the work it guarded.</summary>
public sealed class LockNotHeldException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

/// <summary>The id asked for is taken (e.g. <c>create_session</c> with an existing session id).</summary>
public sealed class AlreadyExistsException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

/// <summary>
/// Another writer appended to the session first (<c>expected_sequence</c> was stale): read the
/// session again, redo the work on its state, and append with its last sequence.
/// </summary>
public sealed class SessionConflictException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

/// <summary>
/// The embedding size (setting <c>memory.dimensions</c>) cannot change while memories are stored:
/// delete them, change the setting, add them again with the new embedder.
/// </summary>
public sealed class MemoryDimensionsInUseException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);

/// <summary>
/// The runtime refuses this on principle for the calling role: an app that is not the role's
/// tenant, an agent another role registered, a push destination inside the network.
/// </summary>
public sealed class NotPermittedException(string code, string message, string? hint, PostgresException inner)
    : AgentRuntimeException(code, message, hint, inner);
