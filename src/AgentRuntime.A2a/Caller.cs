using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AgentRuntime.A2a;

/// <summary>
/// Who sent a request: the API key it presented (its name and the PostgreSQL role it acts as), or
/// nobody (<see cref="Role"/> null: the server's login role, the only caller when no key is configured).
/// </summary>
internal sealed record Caller(string Name, string? Role)
{
    public static Caller Anonymous { get; } = new("anonymous", null);
}

/// <summary>The configured API keys, compared in constant time so that timing tells nothing about a key.</summary>
internal sealed class ApiKeys
{
    private readonly (byte[] Digest, Caller Caller)[] _keys;

    public ApiKeys(IOptions<A2aOptions> options) =>
        _keys = [.. options.Value.ApiKeys.Select(k => (Digest(k.Key), new Caller(k.Name, k.Role)))];

    /// <summary>False when no key is configured: every request then runs as the login role.</summary>
    public bool Required => _keys.Length > 0;

    /// <summary>The caller whose key this is, or null.</summary>
    public Caller? Find(string presented)
    {
        var digest = Digest(presented);
        Caller? found = null;
        foreach (var (key, caller) in _keys)
        {
            // Every key is compared, so the time taken does not depend on which one matched.
            if (CryptographicOperations.FixedTimeEquals(key, digest))
            {
                found = caller;
            }
        }
        return found;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
