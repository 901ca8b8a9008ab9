namespace AgentRuntime.Tests.Support;

/// <summary>The checkout the tests were built from.</summary>
public static class Repository
{
    /// <summary>The folder holding AgentRuntime.sln, found above the test output folder.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentRuntime.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Repository root (AgentRuntime.sln) not found above " + AppContext.BaseDirectory);
    }
}
