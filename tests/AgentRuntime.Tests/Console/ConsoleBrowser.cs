using System.Runtime.InteropServices;
using AgentRuntime.Tests.A2a;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Microsoft.Playwright;

namespace AgentRuntime.Tests.WebConsole;

[CollectionDefinition(Name)]
public sealed class ConsoleBrowserCollection : ICollectionFixture<ConsoleBrowser>
{
    public const string Name = "console browser";
}

/// <summary>
/// What the console's browser tests share: a database; two consoles in this process (agent-runtime
/// serve's application), one without API keys (loopback, as the login role) and one with a key per
/// tenant (two client roles bound to two apps); and Debian's chromium driven by Playwright
/// (scripts/setup.sh installs it; Playwright never downloads a browser here). Screenshots go to the
/// folder AGENT_RUNTIME_CONSOLE_SCREENSHOTS names (docs/console/ when the docs are refreshed).
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly DatabaseFixture _db = new();
    private LoginRoles? _roles;
    private IPlaywright? _playwright;

    public DatabaseFixture Db => _db;
    public Runtime Runtime { get; private set; } = null!;
    public InProcessA2a Open { get; private set; } = null!;
    public InProcessA2a Keyed { get; private set; } = null!;
    public Key TenantA { get; private set; } = null!;
    public Key TenantB { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        Runtime = new Runtime(_db.DataSource);
        _roles = new LoginRoles(_db);
        TenantA = await TenantAsync();
        TenantB = await TenantAsync();
        Open = await InProcessA2a.StartAsync(_db.ConnectionString);
        Keyed = await InProcessA2a.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["A2a:ApiKeys:0:Name"] = "tenant-a", ["A2a:ApiKeys:0:Key"] = TenantA.Secret, ["A2a:ApiKeys:0:Role"] = TenantA.Role,
            ["A2a:ApiKeys:1:Name"] = "tenant-b", ["A2a:ApiKeys:1:Key"] = TenantB.Secret, ["A2a:ApiKeys:1:Role"] = TenantB.Role,
        });
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/setup.sh installs Debian's chromium package");
        // A busy machine (the whole suite on two cores) can take seconds to answer a first read.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Nothing but this machine's loopback is reachable from the page.
            Args = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", .. geteuid() == 0 ? ["--no-sandbox"] : Array.Empty<string>()],
        });
    }

    private async Task<Key> TenantAsync()
    {
        var (role, _) = await _roles!.CreateAsync("agent_runtime_client");
        var app = $"app-{Guid.NewGuid():N}"[..16];
        await _db.DataSource.ExecAsync("select agent_runtime.bind_tenant($1, $2)", role, app);
        return new Key($"key-{Guid.NewGuid():N}", role, app);
    }

    /// <summary>A fresh page (its own session storage) on a wide viewport.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            TimezoneId = "UTC",
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves a screenshot of the page as name.png where AGENT_RUNTIME_CONSOLE_SCREENSHOTS says (nothing without it).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("AGENT_RUNTIME_CONSOLE_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Keyed is not null)
        {
            await Keyed.DisposeAsync();
        }
        if (Open is not null)
        {
            await Open.DisposeAsync();
        }
        if (_roles is not null)
        {
            await _roles.DisposeAsync();
        }
        await _db.DisposeAsync();
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
