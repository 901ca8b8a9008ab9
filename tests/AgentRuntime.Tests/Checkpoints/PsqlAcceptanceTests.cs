using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Checkpoints;

/// <summary>
/// The acceptance in psql, with a real lease expiry: claim, save_checkpoint, let the lease expire,
/// claim again: get_checkpoints returns the checkpoint; the stale token is refused, nothing written.
/// </summary>
public sealed class PsqlAcceptanceTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_checkpoint_saved_before_a_lease_expiry_is_read_by_the_next_claim_in_psql()
    {
        var agent = await _rt.NewAgentAsync("psql");
        var script = $$"""
            \set ON_ERROR_STOP 1
            \pset format unaligned
            \pset tuples_only on
            select task_id from agent_runtime.submit_task('{{agent}}', '{}', options => '{"backoff_seconds": 0}') \gset
            select step_id, lease_token from agent_runtime.claim_step('psql-1', array['{{agent}}'], 1, 1) \gset
            select 'saved=' || agent_runtime.save_checkpoint(:step_id, :'lease_token', 'model-call-1', '{"text": "Paris"}');
            select pg_sleep(1.5);
            select step_id as next_step, lease_token as next_token, attempt from agent_runtime.claim_step('psql-2', array['{{agent}}'], 1, 60) \gset
            select 'attempt=' || :attempt;
            select 'checkpoint=' || name || ' ' || output::text || ' attempt ' || attempt
            from agent_runtime.get_checkpoints(:next_step, :'next_token');
            \set ON_ERROR_STOP 0
            select agent_runtime.save_checkpoint(:step_id, :'lease_token', 'model-call-2', '{}');
            """;

        var result = await Psql.RunAsync(db.ConnectionString, script);

        Assert.Contains("saved={\"text\": \"Paris\"}", result.StdOut);
        Assert.Contains("attempt=2", result.StdOut);
        Assert.Contains("checkpoint=model-call-1 {\"text\": \"Paris\"} attempt 1", result.StdOut);
        Assert.Contains("lease token is not the current lease", result.StdErr);
        Assert.Equal(1L, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.step_checkpoints c join agent_runtime.steps s on s.id = c.step_id where s.agent = $1", agent));
    }
}
