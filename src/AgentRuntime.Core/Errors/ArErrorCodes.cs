namespace AgentRuntime.Errors;

/// <summary>
/// The SQLSTATEs that agent_runtime functions raise; docs/errors.md describes each one.
/// </summary>
public static class ArErrorCodes
{
    public const string InvalidArgument = "AR001";
    public const string PayloadTooLarge = "AR002";
    public const string UnknownOption = "AR003";
    public const string InputRejected = "AR004";
    public const string AgentNotFound = "AR010";
    public const string TaskNotFound = "AR011";
    public const string StepNotFound = "AR012";
    public const string RoleNotFound = "AR013";
    public const string StaleLease = "AR020";
    public const string TaskNotCancelable = "AR030";
    public const string TaskNotRetryable = "AR031";
    public const string TaskNotAcceptingMessages = "AR032";
    public const string StepNotRequeueable = "AR033";
    public const string LockNotHeld = "AR040";
    public const string SessionNotFound = "AR050";
    public const string SessionExists = "AR051";
    public const string SequenceConflict = "AR052";
    public const string PushConfigNotFound = "AR060";
    public const string PushDeliveryNotFound = "AR061";
    public const string PushUrlRefused = "AR062";
    public const string AppNotPermitted = "AR070";
    public const string AgentNotOwned = "AR071";
    public const string WorkflowInvalid = "AR080";
    public const string NameInUse = "AR081";
    public const string ArtifactNotFound = "AR090";
    public const string MemoryNotFound = "AR091";
    public const string EmbeddingDimensionMismatch = "AR092";
    public const string MemoryDimensionsInUse = "AR093";

    /// <summary>Never raised: the code in the error of a task whose model calls passed its max_tokens (record_usage).</summary>
    public const string TokenBudgetExceeded = "AR100";

    public static IReadOnlyDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        [InvalidArgument] = "invalid_argument",
        [PayloadTooLarge] = "payload_too_large",
        [UnknownOption] = "unknown_option",
        [InputRejected] = "input_rejected",
        [AgentNotFound] = "agent_not_found",
        [TaskNotFound] = "task_not_found",
        [StepNotFound] = "step_not_found",
        [RoleNotFound] = "role_not_found",
        [StaleLease] = "stale_lease",
        [TaskNotCancelable] = "task_not_cancelable",
        [TaskNotRetryable] = "task_not_retryable",
        [TaskNotAcceptingMessages] = "task_not_accepting_messages",
        [StepNotRequeueable] = "step_not_requeueable",
        [LockNotHeld] = "lock_not_held",
        [SessionNotFound] = "session_not_found",
        [SessionExists] = "session_exists",
        [SequenceConflict] = "sequence_conflict",
        [PushConfigNotFound] = "push_config_not_found",
        [PushDeliveryNotFound] = "push_delivery_not_found",
        [PushUrlRefused] = "push_url_refused",
        [AppNotPermitted] = "app_not_permitted",
        [AgentNotOwned] = "agent_not_owned",
        [WorkflowInvalid] = "workflow_invalid",
        [NameInUse] = "name_in_use",
        [ArtifactNotFound] = "artifact_not_found",
        [MemoryNotFound] = "memory_not_found",
        [EmbeddingDimensionMismatch] = "embedding_dimension_mismatch",
        [MemoryDimensionsInUse] = "memory_dimensions_in_use",
        [TokenBudgetExceeded] = "token_budget_exceeded",
    };
}
