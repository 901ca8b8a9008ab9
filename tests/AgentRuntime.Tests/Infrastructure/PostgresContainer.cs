using System.Globalization;
using AgentRuntime.Host.Embedded;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;
using Testcontainers.PostgreSql;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// The tests' PostgreSQL in a container (Testcontainers 3.10), of the project's image built from
/// <c>docker/postgres</c> by scripts/setup.sh (no image registry is needed, none is asked).
/// <para>
/// Its port is published on 127.0.0.1 only and reached there; Ryuk (the reaper container) is off, as
/// its image cannot be pulled here: the container is removed when the run ends, by a detached
/// watchdog should the test process be killed, and containers of dead test processes are removed at
/// the next start (they carry the owner's pid in a label).
/// </para>
/// Env: <c>AGENT_RUNTIME_TEST_DOCKER=0</c> skips containers; <c>AGENT_RUNTIME_TEST_IMAGE</c> names another image;
/// <c>DOCKER_HOST</c> another engine.
/// </summary>
public sealed class PostgresContainer : IAsyncDisposable
{
    public const string DisableVariable = "AGENT_RUNTIME_TEST_DOCKER";
    public const string ImageVariable = "AGENT_RUNTIME_TEST_IMAGE";
    public const string DefaultImage = "agent-runtime/postgres-pgvector:15";

    private const string OwnerLabel = "agent-runtime.tests.owner-pid";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly PostgreSqlContainer _container;

    private PostgresContainer(PostgreSqlContainer container, string image)
    {
        _container = container;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(container.GetConnectionString());
        ConnectionString = builder.ConnectionString;
        Description = $"container {container.Id[..12]} of image {image}, port {builder.Port} on {builder.Host}";
    }

    public string ConnectionString { get; }

    public string Description { get; }

    public static string Image => Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } image ? image : DefaultImage;

    /// <summary>
    /// Starts a container when a Docker engine answers and has the image; otherwise returns why not
    /// (one line, for the log), having started nothing.
    /// </summary>
    public static async Task<(PostgresContainer? Container, string WhyNot)> TryStartAsync()
    {
        if (Environment.GetEnvironmentVariable(DisableVariable) is "0" or "false" or "off" or "no")
        {
            return (null, $"{DisableVariable}={Environment.GetEnvironmentVariable(DisableVariable)}");
        }
        var image = Image;
        if (await ProbeAsync(image) is { } problem)
        {
            return (null, problem);
        }

        // Tests reach the container through 127.0.0.1 only; no reaper container (its image cannot be pulled here).
        TestcontainersSettings.DockerHostOverride = "127.0.0.1";
        TestcontainersSettings.ResourceReaperEnabled = false;

        var container = new PostgreSqlBuilder()
            .WithImage(image)
            .WithImagePullPolicy(_ => false)
            .WithLabel(OwnerLabel, Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            // Roles that tests create log in without a password, as on the local cluster (trust):
            // acceptable for a throwaway server whose port only 127.0.0.1 can reach.
            .WithEnvironment("POSTGRES_HOST_AUTH_METHOD", "trust")
            .WithTmpfsMount("/var/lib/postgresql/data")
            .WithCommand([.. PostgresServer.ServerSettings.SelectMany(s => (string[])["-c", $"{s.Key}={s.Value}"])])
            // Testcontainers publishes on 0.0.0.0: publish on the loopback interface only.
            .WithCreateParameterModifier(parameters =>
            {
                foreach (var bindings in parameters.HostConfig.PortBindings.Values)
                {
                    foreach (var binding in bindings)
                    {
                        binding.HostIP = "127.0.0.1";
                    }
                }
            })
            .Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await container.StartAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            await container.DisposeAsync();
            return (null, $"the container of {image} did not start: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
        }
        StartWatchdog(container.Id);
        return (new PostgresContainer(container, image), "");
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();

    /// <summary>Null when the engine answers and has the image; else why not. Also removes containers of dead test runs.</summary>
    private static async Task<string?> ProbeAsync(string image)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            using var configuration = new DockerClientConfiguration();
            using var client = configuration.CreateClient();
            await client.System.PingAsync(timeout.Token);
            try
            {
                await client.Images.InspectImageAsync(image, timeout.Token);
            }
            catch (DockerImageNotFoundException)
            {
                return $"the Docker engine has no image {image} (scripts/setup.sh builds it from docker/postgres)";
            }
            await RemoveContainersOfDeadRunsAsync(client, timeout.Token);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var reason = timeout.IsCancellationRequested ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : ex.Message.Split('\n')[0];
            return $"no Docker engine answers ({reason})";
        }
    }

    private static async Task RemoveContainersOfDeadRunsAsync(DockerClient client, CancellationToken cancellationToken)
    {
        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [OwnerLabel] = true } },
        }, cancellationToken);
        foreach (var container in containers)
        {
            if (container.Labels.TryGetValue(OwnerLabel, out var owner)
                && int.TryParse(owner, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && !ProcessWatch.IsAlive(pid))
            {
                await client.Containers.RemoveContainerAsync(container.ID,
                    new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
            }
        }
    }

    /// <summary>Removes the container once this process has ended, however it ended.</summary>
    private static void StartWatchdog(string containerId) =>
        ProcessWatch.RunWhenThisProcessEnds("""docker rm -f -v "$1" """, containerId);
}
