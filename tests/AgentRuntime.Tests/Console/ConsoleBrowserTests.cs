using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using AgentRuntime.Tests.Support;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace AgentRuntime.Tests.WebConsole;

/// <summary>
/// The console in a real browser (Debian's chromium through Playwright), against the in-process
/// server: live updates without a reload, the workflow DAG, a cancel, tenants apart, and no serious
/// or critical accessibility violation on any page. Every wait is for a condition on the page.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleBrowser console)
{
    private Runtime Rt => console.Runtime;

    [Fact]
    public async Task A_workflow_submitted_in_sql_appears_and_completes_live_and_its_dag_shows_each_steps_status()
    {
        var agent = await Rt.NewAgentAsync("echo");
        var workflow = $"wf_{Guid.NewGuid():N}"[..14];
        await Rt.ExecAsync("select agent_runtime.define_workflow($1, $2::jsonb, 'two steps in a row')", workflow,
            $$"""{"steps": [{"key": "fetch", "agent": "{{agent}}"}, {"key": "summarize", "agent": "{{agent}}", "depends_on": ["fetch"]}]}""");
        var page = await console.NewPageAsync();
        await page.GotoAsync($"{console.Open.Url}/console/tasks?target={workflow}");
        await Expect(page.GetByText("No task matches.")).ToBeVisibleAsync();
        // A marker that a reload would wipe out.
        await page.EvaluateAsync("window.notReloaded = true");

        var task = await Rt.SubmitAsync(workflow, """{"topic": "live"}""");
        var link = page.GetByRole(AriaRole.Link, new() { Name = task.TaskId.ToString(), Exact = true });
        await Expect(link).ToBeVisibleAsync();
        var row = page.Locator("tr", new() { Has = link });
        await Expect(row.Locator(".status")).ToHaveTextAsync("submitted");

        await link.ClickAsync();
        await Expect(page.Locator("#task-status")).ToHaveTextAsync("submitted");
        var fetch = page.Locator("[data-step='fetch']");
        var summarize = page.Locator("[data-step='summarize']");
        await Expect(fetch).ToHaveAttributeAsync("data-status", "ready");
        await Expect(summarize).ToHaveAttributeAsync("data-status", "pending");

        var first = await Rt.ClaimOneAsync("console-test", agent);
        await Expect(fetch).ToHaveAttributeAsync("data-status", "running");
        await Expect(page.Locator("#task-status")).ToHaveTextAsync("working");
        await Rt.CompleteAsync(first.StepId, first.LeaseToken, """{"text": "fetched"}""");
        await Expect(fetch).ToHaveAttributeAsync("data-status", "completed");
        await Expect(summarize).ToHaveAttributeAsync("data-status", "ready");
        await ConsoleBrowser.ScreenshotAsync(page, "task-running");

        var second = await Rt.ClaimOneAsync("console-test", agent);
        await Rt.CompleteAsync(second.StepId, second.LeaseToken, """{"summary": "done"}""");
        await Expect(page.Locator("#task-status")).ToHaveTextAsync("completed");
        await Expect(summarize).ToHaveAttributeAsync("data-status", "completed");
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "task.completed" })).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "task");

        await page.GoBackAsync();
        await Expect(page.Locator("tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = task.TaskId.ToString(), Exact = true }) })
            .Locator(".status")).ToHaveTextAsync("completed");
        Assert.True(await page.EvaluateAsync<bool>("window.notReloaded === true"), "the page was reloaded");
    }

    [Fact]
    public async Task A_cancel_from_the_console_cancels_the_task()
    {
        var agent = await Rt.NewAgentAsync("slow");
        var task = await Rt.SubmitAsync(agent);
        var page = await console.NewPageAsync();
        await page.GotoAsync($"{console.Open.Url}/console/tasks/{task.TaskId}");
        await Expect(page.Locator("#task-status")).ToHaveTextAsync("submitted");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel task" }).ClickAsync();

        await Expect(page.Locator("#task-status")).ToHaveTextAsync("canceled");
        Assert.Equal("canceled", await Rt.TaskStatusAsync(task.TaskId));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel task" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry task" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_tenants_key_sees_only_its_own_tasks_and_another_tenants_task_is_not_found()
    {
        var agent = await Rt.NewAgentAsync("tenant");
        var mine = await Rt.SubmitAsync(agent, options: $$"""{"app_name": "{{console.TenantA.App}}"}""");
        var theirs = await Rt.SubmitAsync(agent, options: $$"""{"app_name": "{{console.TenantB.App}}"}""");
        var page = await console.NewPageAsync();
        await page.GotoAsync($"{console.Keyed.Url}/console/tasks?target={agent}");

        await page.GetByLabel("Key").FillAsync(console.TenantA.Secret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = mine.TaskId.ToString(), Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = theirs.TaskId.ToString(), Exact = true })).ToHaveCountAsync(0);
        await Expect(page.Locator("#who")).ToContainTextAsync(console.TenantA.Role);

        // The key is kept for the tab: another page needs no new key.
        await page.GotoAsync($"{console.Keyed.Url}/console/tasks/{theirs.TaskId}");
        await Expect(page.Locator("#task-missing")).ToContainTextAsync("not found");
        await page.GotoAsync($"{console.Keyed.Url}/console/tasks/{mine.TaskId}");
        await Expect(page.Locator("#task-status")).ToHaveTextAsync("submitted");
        // A client sees cancel, not the admins' requeue...
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel task" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Requeue") })).ToHaveCountAsync(0);

        // ...and the server refuses it anyway, and refuses the other tenant's task.
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", console.TenantA.Secret);
        http.DefaultRequestHeaders.Add("X-Agent-Runtime-Console", "1");
        var stepId = (long)(await Rt.ScalarAsync<long>("select id from agent_runtime.steps where task_id = $1", mine.TaskId));
        var requeue = await http.PostAsync($"{console.Keyed.Url}/console/api/tasks/{mine.TaskId}/steps/{stepId}/requeue", null);
        Assert.Equal(HttpStatusCode.Forbidden, requeue.StatusCode);
        var cancel = await http.PostAsync($"{console.Keyed.Url}/console/api/tasks/{theirs.TaskId}/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal("submitted", await Rt.TaskStatusAsync(theirs.TaskId));
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{console.Keyed.Url}/console/api/tasks")).StatusCode);
    }

    [Fact(Skip = "append_output and read_output do not exist in the SQL API yet: the task page shows \"no streamed output\" until they do")]
    public Task Streamed_output_appears_chunk_by_chunk() => Task.CompletedTask;

    [Fact]
    public async Task No_page_has_a_serious_or_critical_accessibility_violation()
    {
        var agent = await Rt.NewAgentAsync("axe");
        var workflow = $"axe_{Guid.NewGuid():N}"[..14];
        await Rt.ExecAsync("select agent_runtime.define_workflow($1, $2::jsonb, 'fan out, then join')", workflow,
            $$"""{"steps": [{"key": "split", "agent": "{{agent}}"}, {"key": "left", "agent": "{{agent}}", "depends_on": ["split"]},""" +
            $$""" {"key": "right", "agent": "{{agent}}", "depends_on": ["split"]}, {"key": "join", "agent": "{{agent}}", "depends_on": ["left", "right"]}]}""");
        var task = await Rt.SubmitAsync(workflow);
        var failing = await Rt.SubmitAsync(agent, options: """{"max_attempts": 1}""");
        var claimed = await Rt.ClaimAsync("console-axe", [agent], 2);
        foreach (var step in claimed.Where(s => s.Context.TaskId == failing.TaskId))
        {
            await Rt.FailAsync(step.StepId, step.LeaseToken, """{"message": "the upstream API answered 503"}""");
        }
        await Rt.ExecAsync("select agent_runtime.schedule_task('nightly-digest', '0 3 * * *', $1)", agent);
        await Rt.ExecAsync("select agent_runtime.configure_queue('default', '{\"concurrency_limit\": 8}')");
        await Rt.ExecAsync("select agent_runtime.register_worker('host-1', array[$1], '{\"concurrency\": 16}')", agent);

        var page = await console.NewPageAsync();
        var pages = new (string Path, string Name, ILocator Ready)[]
        {
            ("/console", "overview", page.GetByRole(AriaRole.Heading, new() { Name = "Agents" })),
            ($"/console/tasks", "tasks", page.GetByRole(AriaRole.Link, new() { Name = task.TaskId.ToString(), Exact = true })),
            ($"/console/tasks/{task.TaskId}", "task-submitted", page.Locator("[data-step='join']")),
            ("/console/workflows", "workflows", page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex($"^{workflow}") })),
            ("/console/schedules", "schedules", page.GetByRole(AriaRole.Cell, new() { Name = "nightly-digest" })),
            ("/console/queues", "queues", page.GetByRole(AriaRole.Cell, new() { Name = "default", Exact = true })),
            ("/console/failures", "failures", page.GetByRole(AriaRole.Cell, new() { Name = "the upstream API answered 503" })),
            ("/console/memory?app=a&user=u&q=postgres", "memory", page.GetByText("No memory matches.")),
        };
        var problems = new List<string>();
        foreach (var (path, name, ready) in pages)
        {
            await page.GotoAsync(console.Open.Url + path);
            await Expect(ready.First).ToBeVisibleAsync();
            await ConsoleBrowser.ScreenshotAsync(page, name);
            problems.AddRange(Serious(await page.RunAxe(), path));
        }
        var keyed = await console.NewPageAsync();
        await keyed.GotoAsync(console.Keyed.Url + "/console");
        await Expect(keyed.GetByLabel("Key")).ToBeVisibleAsync();
        problems.AddRange(Serious(await keyed.RunAxe(), "/console (API key form)"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static IEnumerable<string> Serious(AxeResult result, string path) =>
        result.Violations.Where(v => v.Impact is "serious" or "critical").Select(v =>
            $"{path}: {v.Impact} {v.Id}: {v.Help} ({string.Join("; ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target)))})");

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
