using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>Claims take from the tenants of an agent in turn, so a big backlog does not starve the others.</summary>
public sealed class FairShareTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private Task SubmitAsync(string agent, string tenant, int count) =>
        _rt.ExecAsync("select count(*) from agent_runtime.submit_tasks(array[$1], array_fill('{}'::jsonb, array[$2]), null, array[jsonb_build_object('app_name', $3::text)])",
            agent, count, tenant);

    /// <summary>Claims and completes in batches until every step is done; returns the tenants in completion order.</summary>
    private async Task<List<string>> DrainAsync(string agent, int batch)
    {
        var order = new List<string>();
        while (true)
        {
            var claimed = await _rt.ClaimAsync("fair-worker", [agent], maxSteps: batch);
            if (claimed.Count == 0)
            {
                return order;
            }
            foreach (var step in claimed)
            {
                Assert.Equal("completed", await _rt.CompleteAsync(step.StepId, step.LeaseToken));
                order.Add((await _rt.ScalarAsync<string>("select app_name from agent_runtime.tasks where id = $1", step.Context.TaskId))!);
            }
        }
    }

    [Fact]
    public async Task Two_small_tenants_finish_before_half_the_backlog_of_a_tenant_with_ten_times_more()
    {
        var agent = await _rt.NewAgentAsync();
        await SubmitAsync(agent, "big", 100); // first: by due time alone it would all run first
        await SubmitAsync(agent, "small-1", 10);
        await SubmitAsync(agent, "small-2", 10);

        var order = await DrainAsync(agent, batch: 6);

        Assert.Equal(120, order.Count);
        var lastSmall = Math.Max(order.LastIndexOf("small-1"), order.LastIndexOf("small-2"));
        var bigBefore = order.Take(lastSmall).Count(t => t == "big");
        Assert.True(bigBefore < 50, $"{bigBefore} of the big tenant's 100 ran before the small ones were done");
    }

    [Fact]
    public async Task A_weighted_tenant_gets_its_share_and_priority_still_orders_work_within_a_tenant()
    {
        var agent = await _rt.NewAgentAsync();
        await SubmitAsync(agent, "heavy", 40);
        await SubmitAsync(agent, "light", 40);
        await _rt.ExecAsync("select agent_runtime.set_fairness_weight('heavy', 3)");
        var urgent = await _rt.SubmitAsync(agent, options: """{"app_name": "light", "priority": 5}""");

        var first = await _rt.ClaimAsync("w", [agent], maxSteps: 8);
        var tenants = new List<string>();
        foreach (var step in first)
        {
            tenants.Add((await _rt.ScalarAsync<string>("select app_name from agent_runtime.tasks where id = $1", step.Context.TaskId))!);
        }

        Assert.Equal(6, tenants.Count(t => t == "heavy"));
        Assert.Equal(2, tenants.Count(t => t == "light"));
        Assert.Contains(first, s => s.Context.TaskId == urgent.TaskId);
        await _rt.ExecAsync("select agent_runtime.set_fairness_weight('heavy', null)");
    }

    [Fact]
    public async Task A_claim_fills_up_from_the_busy_tenant_when_the_others_have_less_than_their_share()
    {
        var agent = await _rt.NewAgentAsync();
        await SubmitAsync(agent, "many", 50);
        await SubmitAsync(agent, "few", 2);

        var claimed = await _rt.ClaimAsync("w", [agent], maxSteps: 20);

        Assert.Equal(20, claimed.Count);
    }

    [Theory]
    [InlineData("'k'", "0", "AR001")]
    [InlineData("'k'", "1001", "AR001")]
    [InlineData("''", "1", "AR001")]
    [InlineData("null", "1", "AR001")]
    public async Task Bad_weights_are_refused(string key, string weight, string code) =>
        await _rt.FailsWithAsync(code, $"select agent_runtime.set_fairness_weight({key}, {weight})");
}
