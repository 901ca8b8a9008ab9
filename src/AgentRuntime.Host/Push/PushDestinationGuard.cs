using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentRuntime.Client;
using Npgsql;

namespace AgentRuntime.Host.Push;

/// <summary>
/// Push URLs come from clients, and this host POSTs to them from inside the network. The
/// database refuses literal local and private addresses when a URL is set; this guard applies
/// the same rules to every address a host name resolves to, at connect time, so that DNS cannot
/// rebind a public name to an internal address after the check. It is the push HTTP client's
/// connect callback: a refused destination throws before any socket is opened. The ranges are
/// the database's own table (<c>internal_address_ranges()</c>, which <c>set_push_config</c>
/// reads too), loaded with the admin setting <c>push.allowed_destinations</c> (host names and
/// CIDRs, read from <c>get_settings()</c>) that re-enables chosen destinations, such as a
/// receiver on this machine. Nothing is resolved or connected before they are loaded.
/// </summary>
public sealed class PushDestinationGuard(NpgsqlDataSource dataSource)
{
    public const string AllowedDestinationsSetting = "push.allowed_destinations";
    private static readonly TimeSpan s_refreshInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Allowlist _allowlist = Allowlist.Empty;
    private volatile AddressRanges? _ranges;
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    /// <summary>Reads the allowlist and the internal ranges from the database when the copy held is older than a few seconds (or now, with <paramref name="force"/>).</summary>
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
            await using var command = dataSource.CreateCommand(
                "select agent_runtime.get_settings() -> $1, " +
                "(select jsonb_agg(jsonb_build_object('network', r.network, 'embedded_ipv4_at', r.embedded_ipv4_at, 'reason', r.reason)) " +
                " from agent_runtime.internal_address_ranges() as r)");
            command.Parameters.Add(Sql.Text(AllowedDestinationsSetting));
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                _allowlist = Allowlist.Parse(reader.IsDBNull(0) ? null : reader.GetString(0));
                _ranges = AddressRanges.Parse(reader.GetString(1));
            }
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
        await RefreshAsync(cancellationToken);
        var name = host.TrimEnd('.').ToLowerInvariant();
        var allowlist = _allowlist;
        if (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal))
        {
            if (!allowlist.Hosts.Contains(name))
            {
                throw new PushDestinationRefusedException($"push destination {host} is the local machine");
            }
        }
        IPAddress[] addresses;
        if (IPAddress.TryParse(name.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else if (name.Contains(':', StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal))
        {
            // No host name has these: an IPv6 literal this runtime cannot read is not sent to a resolver.
            throw new PushDestinationRefusedException($"push destination {host} is not an address");
        }
        else
        {
            addresses = await Dns.GetHostAddressesAsync(name, cancellationToken);
        }
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

    /// <summary>
    /// Why an address is not a public destination, or null, by the ranges last loaded (<see cref="RefreshAsync"/>):
    /// decided as <c>agent_runtime._internal_address_class</c> decides.
    /// </summary>
    public string? InternalAddressClass(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            return "is scoped to a network interface of this machine (a zone)";
        }
        var ranges = _ranges ?? throw new InvalidOperationException("the internal address ranges are not loaded yet (RefreshAsync)");
        return ranges.Classify(address);
    }

    /// <summary>The rows of <c>agent_runtime.internal_address_ranges()</c>.</summary>
    private sealed class AddressRanges(List<AddressRanges.Range> ranges)
    {
        public sealed record Range(Cidr Network, int? EmbeddedIPv4At, string? Reason);

        private sealed record Row(
            [property: JsonPropertyName("network")] string Network,
            [property: JsonPropertyName("embedded_ipv4_at")] int? EmbeddedIPv4At,
            [property: JsonPropertyName("reason")] string? Reason);

        public static AddressRanges Parse(string json) =>
            new([.. (JsonSerializer.Deserialize<Row[]>(json) ?? []).Select(r => new Range(Cidr.Parse(r.Network), r.EmbeddedIPv4At, r.Reason))]);

        /// <summary>The most specific range that holds the address decides: by the IPv4 address it embeds first, then by its reason.</summary>
        public string? Classify(IPAddress address)
        {
            var range = ranges.Where(r => r.Network.Contains(address)).MaxBy(r => r.Network.PrefixLength);
            if (range?.EmbeddedIPv4At is { } at)
            {
                return Classify(new IPAddress(address.GetAddressBytes()[at..(at + 4)])) ?? range.Reason;
            }
            return range?.Reason;
        }
    }

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
