using System.Net;

namespace AgentRuntime.Agents;

internal static class SafeUrl
{
    /// <summary>
    /// The URL without user info and query, for messages: they end up in the database and in logs, and
    /// a configured URL may carry a credential in either place.
    /// </summary>
    public static string Display(Uri url) => url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    /// <summary>Whether the URL names this machine: <c>localhost</c> or a loopback address (127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(Uri url) =>
        url.IsAbsoluteUri
        && (url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)));
}
