using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>
/// A named capability the host runs for claimed steps. An agent returns a result instead of
/// throwing; an exception it lets escape counts as a retryable failure with the exception recorded.
/// The cancellation token fires when the step is canceled, its lease is lost, its timeout passes,
/// or the host shuts down; the host then drops whatever the agent returns.
/// </summary>
public interface IAgent
{
    /// <summary>The name tasks target (registered with register_agent at start-up).</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>JSON Schema of the input (register_agent checks its top-level type and required properties).</summary>
    JsonObject InputSchema { get; }

    Task<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken);
}
