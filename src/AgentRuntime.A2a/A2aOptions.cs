using System.Net;
using Microsoft.Extensions.Configuration;

namespace AgentRuntime.A2a;

/// <summary>The <c>A2a</c> section of the configuration: where the endpoint listens, who may call it, its limits.</summary>
public sealed class A2aOptions
{
    public const string Section = "A2a";

    public const string DefaultUrl = "http://127.0.0.1:7800";

    /// <summary>Addresses to listen on (http://host:port; port 0 picks a free one). Default: <see cref="DefaultUrl"/>.</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>
    /// The base URL clients reach the endpoint at (behind a proxy, say), used in agent cards.
    /// Default: the scheme and host of each card request.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>API keys, each acting as one PostgreSQL role. None: loopback only, as the login role.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Largest request body accepted, in bytes (the SQL API takes inputs and messages up to 1 MiB).</summary>
    public long MaxRequestBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Requests per second each key (or, without a key, each client address) may make on average.</summary>
    public double RequestsPerSecond { get; set; } = 20;

    /// <summary>Requests a key may make at once above its rate.</summary>
    public int Burst { get; set; } = 40;

    /// <summary>The options of the configuration's A2a section, with the defaults for what it leaves out.</summary>
    public static A2aOptions From(IConfiguration configuration)
    {
        var options = new A2aOptions();
        configuration.GetSection(Section).Bind(options);
        // The binder adds to a list's initial items, so the default address is filled in afterwards.
        if (options.Urls.Count == 0)
        {
            options.Urls.Add(DefaultUrl);
        }
        return options;
    }

    /// <summary>
    /// The first configuration problem as one line naming the key, or null. Without API keys every
    /// URL must be a loopback address: the endpoint then acts as the login role for anyone who reaches it.
    /// </summary>
    public string? Validate()
    {
        for (var i = 0; i < Urls.Count; i++)
        {
            if (!Uri.TryCreate(Urls[i], UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp
                || url.AbsolutePath != "/" || url.Port < 0)
            {
                return $"{Section}:Urls:{i} \"{Urls[i]}\" is not an address to listen on: use http://host:port (TLS belongs to a proxy in front)";
            }
            if (ApiKeys.Count == 0 && !IsLoopback(url))
            {
                return $"{Section}:Urls:{i} \"{Urls[i]}\" is not a loopback address, and no API key is configured: " +
                       $"without {Section}:ApiKeys the endpoint listens on loopback only (127.0.0.1, [::1], localhost)";
            }
        }
        if (PublicUrl is not null && !(Uri.TryCreate(PublicUrl, UriKind.Absolute, out var publicUrl)
                                        && (publicUrl.Scheme == Uri.UriSchemeHttp || publicUrl.Scheme == Uri.UriSchemeHttps)))
        {
            return $"{Section}:PublicUrl \"{PublicUrl}\" is not an absolute http(s) URL";
        }
        if (MaxRequestBytes is < 1024 or > 64L * 1024 * 1024)
        {
            return $"{Section}:MaxRequestBytes must be from 1024 to 67108864, got {MaxRequestBytes}";
        }
        if (!(RequestsPerSecond > 0) || Burst < 1)
        {
            return $"{Section}:RequestsPerSecond must be above 0 and {Section}:Burst at least 1";
        }
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            if (ApiKeys[i].Validate($"{Section}:ApiKeys:{i}") is { } problem)
            {
                return problem;
            }
        }
        var repeated = ApiKeys.GroupBy(k => k.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            return $"{Section}:ApiKeys has the same key twice (names {string.Join(", ", repeated.Select(k => k.Name))})";
        }
        return null;
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}

/// <summary>One API key: whoever presents it (Authorization: Bearer) acts as <see cref="Role"/>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>A label for logs and rate limits; never a secret.</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret itself, at least 16 characters.</summary>
    public string Key { get; set; } = "";

    /// <summary>The PostgreSQL role its requests run as (SET ROLE): a client role, bound to tenants or not.</summary>
    public string Role { get; set; } = "";

    internal string? Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            return $"{path}:Name is missing: give every key a name (it appears in logs, never the key)";
        }
        if (Key.Length < 16)
        {
            return $"{path}:Key of \"{Name}\" is shorter than 16 characters";
        }
        if (string.IsNullOrWhiteSpace(Role))
        {
            return $"{path}:Role of \"{Name}\" is missing: name the PostgreSQL role its requests run as";
        }
        return null;
    }
}
