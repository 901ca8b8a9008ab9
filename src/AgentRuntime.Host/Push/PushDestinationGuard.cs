using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentRuntime.Client;
using Npgsql;

namespace AgentRuntime.Host.Push;

/// <summary>
/// Push URLs come from clients, and this host POSTs to them from inside the network. The
/// database refuses literal local and private addresses when a URL is set; this guard applies
/// the same rules to every address a host name resolves to, at connect time, so that DNS cannot
/// rebind a public name to an internal address after the check. It is the push HTTP client's
/// connect callback: a refused destination throws before any socket is opened. The admin
/// setting <c>push.allowed_destinations</c> (host names and CIDRs, read from
/// <c>get_settings()</c>) re-enables chosen destinations, such as a receiver on this machine.
/// </summary>
public sealed class PushDestinationGuard(NpgsqlDataSource dataSource)
{
    public const string AllowedDestinationsSetting = "push.allowed_destinations";
    private static readonly TimeSpan s_refreshInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Allowlist _allowlist = Allowlist.Empty;
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    /// <summary>Reads the allowlist from the database when the copy held is older than a few seconds (or now, with <paramref name="force"/>).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken, bool force = false)
    {
        if (!force && DateTimeOffset.UtcNow - _refreshedAt < s_refreshInterval)
        {
            return;
        }
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (!force && DateTimeOffset.UtcNow - _refreshedAt < s_refreshInterval)
            {
                return;
            }
            await using var command = dataSource.CreateCommand("select agent_runtime.get_settings() -> $1");
            command.Parameters.Add(Sql.Text(AllowedDestinationsSetting));
            var json = await command.ExecuteScalarAsync(cancellationToken) as string;
            _allowlist = Allowlist.Parse(json);
            _refreshedAt = DateTimeOffset.UtcNow;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// The connect callback of the push HTTP client: resolves the host, refuses the connection
    /// when any of its addresses is internal and not allowed, else connects to the first address
    /// that answers.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>The addresses of <paramref name="host"/> when every one of them may be reached; else a <see cref="PushDestinationRefusedException"/>.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        var allowlist = _allowlist;
        if (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal))
        {
            if (!allowlist.Hosts.Contains(name))
            {
                throw new PushDestinationRefusedException($"push destination {host} is the local machine");
            }
        }
        var addresses = IPAddress.TryParse(name.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(name, cancellationToken);
        if (allowlist.Hosts.Contains(name))
        {
            return addresses;
        }
        foreach (var address in addresses)
        {
            if (InternalAddressClass(address) is { } why && !allowlist.Contains(address))
            {
                throw new PushDestinationRefusedException($"push destination {host} resolves to {address}, which {why}");
            }
        }
        return addresses;
    }

    /// <summary>Why an address is not a public destination, or null: the list of <c>agent_runtime._internal_address_class</c>.</summary>
    public static string? InternalAddressClass(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return InternalAddressClass(address.MapToIPv4());
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && Cidr.Parse("64:ff9b::/96").Contains(address))
        {
            var bytes = address.GetAddressBytes();
            return InternalAddressClass(new IPAddress(bytes[12..])) ?? "is a NAT64 address";
        }
        foreach (var (cidr, why) in s_internal)
        {
            if (cidr.Contains(address))
            {
                return why;
            }
        }
        return null;
    }

    private static readonly (Cidr Range, string Why)[] s_internal =
    [
        (Cidr.Parse("127.0.0.0/8"), "is a loopback address"),
        (Cidr.Parse("::1/128"), "is a loopback address"),
        (Cidr.Parse("0.0.0.0/8"), "is an unspecified address"),
        (Cidr.Parse("::/128"), "is an unspecified address"),
        (Cidr.Parse("10.0.0.0/8"), "is a private address"),
        (Cidr.Parse("172.16.0.0/12"), "is a private address"),
        (Cidr.Parse("192.168.0.0/16"), "is a private address"),
        (Cidr.Parse("100.64.0.0/10"), "is a shared (carrier-grade NAT) address"),
        (Cidr.Parse("169.254.0.0/16"), "is a link-local address"),
        (Cidr.Parse("fe80::/10"), "is a link-local address"),
        (Cidr.Parse("224.0.0.0/4"), "is a multicast address"),
        (Cidr.Parse("ff00::/8"), "is a multicast address"),
        (Cidr.Parse("240.0.0.0/4"), "is a reserved address"),
        (Cidr.Parse("192.0.0.0/24"), "is a reserved address"),
        (Cidr.Parse("198.18.0.0/15"), "is a reserved address"),
        (Cidr.Parse("fc00::/7"), "is a unique-local address"),
    ];

    private sealed record Allowlist(HashSet<string> Hosts, List<Cidr> Networks)
    {
        public static readonly Allowlist Empty = new([], []);

        public bool Contains(IPAddress address) =>
            Networks.Any(n => n.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));

        public static Allowlist Parse(string? json) =>
            json is null ? Empty : From(JsonSerializer.Deserialize<string[]>(json) ?? []);

        public static Allowlist From(IEnumerable<string> entries)
        {
            var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var networks = new List<Cidr>();
            foreach (var entry in entries)
            {
                if (Cidr.TryParse(entry, out var network))
                {
                    networks.Add(network);
                }
                else
                {
                    hosts.Add(entry.TrimEnd('.').ToLowerInvariant());
                }
            }
            return new Allowlist(hosts, networks);
        }
    }

    private readonly record struct Cidr(IPAddress Network, int PrefixLength)
    {
        public static Cidr Parse(string text) =>
            TryParse(text, out var cidr) ? cidr : throw new FormatException($"not a CIDR: {text}");

        public static bool TryParse(string text, out Cidr cidr)
        {
            var slash = text.IndexOf('/');
            var addressText = slash < 0 ? text : text[..slash];
            cidr = default;
            if (!IPAddress.TryParse(addressText, out var address))
            {
                return false;
            }
            var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            var prefix = bits;
            if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], out prefix) || prefix < 0 || prefix > bits))
            {
                return false;
            }
            cidr = new Cidr(address, prefix);
            return true;
        }

        public bool Contains(IPAddress address)
        {
            if (address.AddressFamily != Network.AddressFamily)
            {
                return false;
            }
            var a = address.GetAddressBytes();
            var n = Network.GetAddressBytes();
            var full = PrefixLength / 8;
            for (var i = 0; i < full; i++)
            {
                if (a[i] != n[i])
                {
                    return false;
                }
            }
            var rest = PrefixLength % 8;
            if (rest == 0)
            {
                return true;
            }
            var mask = (byte)(0xFF << (8 - rest));
            return (a[full] & mask) == (n[full] & mask);
        }
    }
}

/// <summary>A push URL's host resolves to an address this host must not POST to.</summary>
public sealed class PushDestinationRefusedException(string message) : Exception(message);
