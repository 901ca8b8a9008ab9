namespace AgentRuntime.Agents;

internal static class SafeUrl
{
    /// <summary>
    /// The URL without user info and query, for messages: they end up in the database and in logs, and
    /// a configured URL may carry a credential in either place.
    /// </summary>
    public static string Display(Uri url) => url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
