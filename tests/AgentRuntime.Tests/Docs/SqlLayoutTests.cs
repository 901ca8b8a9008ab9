using System.Text.RegularExpressions;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Docs;

/// <summary>
/// Holds the layout of db/functions to the rule that lets a reader find things: one function per
/// file named after it, and a private helper (a name starting with <c>_</c>) beside the one area
/// that uses it, in <c>internal/</c> only when two or more areas share it. "Uses" follows callers
/// through other shared helpers, and counts views and triggers as areas of their own.
/// </summary>
public sealed class SqlLayoutTests
{
    private static readonly string FunctionsFolder =
        Path.Combine(Repository.Root, "db", "functions");

    private sealed record SqlFile(string Area, string Name, string Text);

    private static List<SqlFile> Files()
    {
        var root = Path.Combine(Repository.Root, "db");
        var files = Directory.GetDirectories(FunctionsFolder)
            .SelectMany(dir => Directory.GetFiles(dir, "*.sql").Select(file =>
                new SqlFile(Path.GetFileName(dir), Path.GetFileNameWithoutExtension(file), File.ReadAllText(file))))
            .ToList();
        foreach (var other in new[] { "views", "triggers" })
            files.AddRange(Directory.GetFiles(Path.Combine(root, other), "*.sql").Select(file =>
                new SqlFile(other, "~" + Path.GetFileName(file), File.ReadAllText(file))));
        return files;
    }

    [Fact]
    public void Each_file_defines_the_one_function_it_is_named_after()
    {
        var wrong = new List<string>();
        foreach (var file in Files().Where(f => !f.Name.StartsWith('~')))
        {
            var defined = Regex.Matches(file.Text, @"create\s+or\s+replace\s+function\s+agent_runtime\.(\w+)\s*\(", RegexOptions.IgnoreCase)
                .Select(m => m.Groups[1].Value).Distinct().ToList();
            if (defined.Count != 1 || defined[0] != file.Name)
                wrong.Add($"{file.Area}/{file.Name}.sql defines [{string.Join(", ", defined)}]");
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public void A_private_helper_lives_beside_the_one_area_that_uses_it_and_internal_holds_only_shared_ones()
    {
        var files = Files();
        var helpers = files.Where(f => f.Name.StartsWith('_')).ToDictionary(f => f.Name);
        var callers = helpers.Keys.ToDictionary(name => name, name =>
        {
            var call = new Regex($@"\b{Regex.Escape(name)}\b");
            return files.Where(f => f.Name != name && call.IsMatch(f.Text)).ToList();
        });

        // The areas that use a helper: its callers' folders, looking through shared helpers to
        // the areas that use them. Iterated to a fixed point (helpers call helpers).
        var areas = helpers.Keys.ToDictionary(name => name, _ => new HashSet<string>());
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var name in helpers.Keys)
            {
                var found = new HashSet<string>();
                foreach (var caller in callers[name])
                {
                    if (caller.Area == "internal" && areas.TryGetValue(caller.Name, out var through))
                        found.UnionWith(through);
                    else
                        found.Add(caller.Area);
                }
                if (!found.SetEquals(areas[name]))
                {
                    areas[name] = found;
                    changed = true;
                }
            }
        }

        var misplaced = new List<string>();
        foreach (var (name, helper) in helpers)
        {
            var usedBy = areas[name];
            var where = string.Join(", ", usedBy.Order());
            if (usedBy.Count == 0)
                misplaced.Add($"{helper.Area}/{name}.sql is used by nothing");
            else if (helper.Area == "internal" && usedBy.Count == 1)
                misplaced.Add($"internal/{name}.sql is used only by {where}: move it there");
            else if (helper.Area != "internal" && usedBy.Count > 1 && !usedBy.SetEquals([helper.Area, "triggers"]))
                misplaced.Add($"{helper.Area}/{name}.sql is used by {where}: move it to internal/");
            else if (helper.Area != "internal" && usedBy.Count == 1 && !usedBy.Contains(helper.Area) && !usedBy.Contains("triggers"))
                misplaced.Add($"{helper.Area}/{name}.sql is used only by {where}: move it there");
        }
        Assert.Empty(misplaced);
    }
}
