using System.Collections.Concurrent;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Lifecycle;

public sealed class ConcurrentClaimTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Eight_claimers_over_two_thousand_steps_claim_each_exactly_once()
    {
        const int stepCount = 2000;
        var agent = await _rt.NewAgentAsync();
        await _rt.ExecAsync(
            "select agent_runtime.submit_task(target => $1, input => jsonb_build_object('n', n)) from generate_series(1, $2) as n",
            agent, stepCount);

        var claims = new ConcurrentBag<(long StepId, Guid Token, string Worker)>();
        var claimers = Enumerable.Range(1, 8).Select(worker => Task.Run(async () =>
        {
            var workerId = $"claimer-{worker}";
            while (true)
            {
                var batch = await _rt.ClaimAsync(workerId, [agent], maxSteps: 25, leaseSeconds: 300);
                if (batch.Count == 0)
                {
                    return;
                }
                foreach (var step in batch)
                {
                    claims.Add((step.StepId, step.LeaseToken, workerId));
                }
                await _rt.RowsAsync(
                    "select * from agent_runtime.complete_steps(step_ids => $1, lease_tokens => $2, outputs => $3::jsonb[])",
                    batch.Select(s => s.StepId).ToArray(), batch.Select(s => s.LeaseToken).ToArray(),
                    batch.Select(s => $$"""{"by":"{{workerId}}"}""").ToArray());
            }
        })).ToArray();
        await Task.WhenAll(claimers);

        Assert.Equal(stepCount, claims.Count);
        Assert.Equal(stepCount, claims.Select(c => c.StepId).Distinct().Count());
        Assert.True(claims.Select(c => c.Worker).Distinct().Count() > 1, "the claims were not spread over several claimers");
        var tasks = await _rt.RowsAsync("select status, count(*) from agent_runtime.tasks where target = $1 group by status", agent);
        Assert.Equal(new object?[] { "completed", (long)stepCount }, Assert.Single(tasks));
        var perStep = await _rt.RowsAsync(
            "select count(*) filter (where e.type = 'step.completed'), count(*) filter (where e.type = 'step.running') " +
            "from agent_runtime.steps s left join agent_runtime.events e on e.step_id = s.id where s.agent = $1 group by s.id", agent);
        Assert.Equal(stepCount, perStep.Count);
        Assert.All(perStep, counts => Assert.Equal(new object?[] { 1L, 1L }, counts));
    }
}
