using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting.Systemd;

namespace AgentRuntime.Tests.Hosting;

/// <summary>A Unix datagram socket the test owns, standing in for systemd's notification socket.</summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string? _file;

    public NotifySocket(bool abstractNamespace = false)
    {
        var name = "ar-notify-" + Guid.NewGuid().ToString("N")[..12];
        if (abstractNamespace)
        {
            _socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
            Address = "@" + name;
        }
        else
        {
            _file = Path.Combine(Path.GetTempPath(), name + ".sock");
            _socket.Bind(new UnixDomainSocketEndPoint(_file));
            Address = _file;
        }
    }

    /// <summary>The value NOTIFY_SOCKET would have.</summary>
    public string Address { get; }

    public async Task<string> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Receives until <paramref name="expected"/> arrives; returns what came before it.</summary>
    public async Task<List<string>> ReceiveUntilAsync(string expected)
    {
        var before = new List<string>();
        while (await ReceiveAsync() is var message && message != expected)
        {
            before.Add(message);
        }
        return before;
    }

    /// <summary>The messages already waiting, without blocking.</summary>
    public List<string> Drain()
    {
        var messages = new List<string>();
        var buffer = new byte[4096];
        while (_socket.Available > 0)
        {
            messages.Add(Encoding.UTF8.GetString(buffer, 0, _socket.Receive(buffer)));
        }
        return messages;
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_file is not null)
        {
            File.Delete(_file);
        }
    }
}

/// <summary>
/// Sends to a socket the test names, as the library's <see cref="SystemdNotifier"/> sends to <c>NOTIFY_SOCKET</c>
/// (whose path it reads from the environment, which tests running in parallel share).
/// </summary>
internal sealed class SocketNotifier(string address) : ISystemdNotifier
{
    public bool IsEnabled => true;

    public void Notify(ServiceState state)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.SendTo(Encoding.UTF8.GetBytes(state.ToString()), new UnixDomainSocketEndPoint(address));
    }
}
