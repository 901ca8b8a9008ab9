using System.Reflection;
using Microsoft.Extensions.Options;

namespace AgentRuntime.A2a;

/// <summary>
/// Agent cards from the catalog (list_targets): the root card lists every agent and workflow as a
/// skill and takes messages for any of them; each target also has a card of its own under
/// /agents/&lt;name&gt;/. A 1.0 client (A2A-Version: 1.0) gets a 1.0 card, anyone else the 0.3 one.
/// </summary>
internal sealed class AgentCards(RuntimeClient calls, IOptions<A2aOptions> options, ApiKeys keys)
{
    private static readonly string s_version = typeof(AgentCards).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    private static readonly string[] s_inputModes = ["text/plain", "application/json"];
    private static readonly string[] s_outputModes = ["application/json"];

    /// <summary>The card of <paramref name="agent"/> (null: the root card), or null when no such target is registered.</summary>
    public async Task<JsonObject?> ForAsync(HttpRequest request, string? agent, string version, CancellationToken cancellationToken)
    {
        var targets = await calls.ListTargetsAsync(agent, cancellationToken);
        if (agent is not null && targets.Count == 0)
        {
            return null;
        }
        var baseUrl = options.Value.PublicUrl?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}";
        var card = agent is null
            ? new Card("agent-runtime",
                "The agents and workflows of an AgentRuntime. A message here starts a task of the skill its metadata names " +
                "(message.metadata.skill); each one also has a card of its own at /agents/<name>/.well-known/agent-card.json.",
                baseUrl + "/", targets)
            : new Card(agent, Describe(targets[0]), $"{baseUrl}/agents/{Uri.EscapeDataString(agent)}", targets);
        return version == "1.0" ? V1(card) : V03(card);
    }

    private sealed record Card(string Name, string Description, string Url, IReadOnlyList<Target> Skills);

    private JsonObject V1(Card card)
    {
        var shown = new JsonObject
        {
            ["name"] = card.Name,
            ["description"] = card.Description,
            ["supportedInterfaces"] = new JsonArray(
                new JsonObject { ["url"] = card.Url, ["protocolBinding"] = "JSONRPC", ["protocolVersion"] = "1.0" },
                new JsonObject { ["url"] = card.Url, ["protocolBinding"] = "JSONRPC", ["protocolVersion"] = "0.3" }),
            ["version"] = s_version,
            ["capabilities"] = new JsonObject { ["streaming"] = true, ["pushNotifications"] = true, ["extendedAgentCard"] = true },
            ["defaultInputModes"] = Strings(s_inputModes),
            ["defaultOutputModes"] = Strings(s_outputModes),
            ["skills"] = Skills(card),
        };
        if (keys.Required)
        {
            shown["securitySchemes"] = new JsonObject
            {
                ["bearer"] = new JsonObject
                {
                    ["httpAuthSecurityScheme"] = new JsonObject { ["scheme"] = "Bearer", ["description"] = "An API key of this endpoint" },
                },
            };
            shown["securityRequirements"] = new JsonArray(
                new JsonObject { ["schemes"] = new JsonObject { ["bearer"] = new JsonObject { ["list"] = new JsonArray() } } });
        }
        return shown;
    }

    private JsonObject V03(Card card)
    {
        var shown = new JsonObject
        {
            ["protocolVersion"] = "0.3.0",
            ["name"] = card.Name,
            ["description"] = card.Description,
            ["url"] = card.Url,
            ["preferredTransport"] = "JSONRPC",
            ["version"] = s_version,
            ["capabilities"] = new JsonObject { ["streaming"] = true, ["pushNotifications"] = true, ["stateTransitionHistory"] = false },
            ["defaultInputModes"] = Strings(s_inputModes),
            ["defaultOutputModes"] = Strings(s_outputModes),
            ["skills"] = Skills(card),
            ["supportsAuthenticatedExtendedCard"] = true,
        };
        if (keys.Required)
        {
            shown["securitySchemes"] = new JsonObject
            {
                ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "An API key of this endpoint" },
            };
            shown["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() });
        }
        return shown;
    }

    private static JsonArray Skills(Card card) => new([.. card.Skills.Select(target => (JsonNode)new JsonObject
    {
        ["id"] = target.Name,
        ["name"] = target.Name,
        ["description"] = Describe(target),
        ["tags"] = new JsonArray(target.Kind),
        ["inputModes"] = Strings(s_inputModes),
        ["outputModes"] = Strings(s_outputModes),
    })]);

    private static string Describe(Target target) => target.Description.Length > 0 ? target.Description : $"The {target.Kind} {target.Name}.";

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
