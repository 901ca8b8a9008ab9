using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.FlowControl;

/// <summary>The next fire time of cron expressions, computed in SQL (_cron_next), daylight saving time included.</summary>
public sealed class CronTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Theory]
    [InlineData("*/5 * * * *", "UTC", "2026-11-29T10:02:30Z", "2026-11-29T10:05:00Z")]
    [InlineData("*/5 * * * *", "UTC", "2026-11-29T10:05:00Z", "2026-11-29T10:10:00Z")]
    [InlineData("0 9 * * 1-5", "Europe/Berlin", "2026-11-28T10:00:00Z", "2026-11-30T08:00:00Z")]
    [InlineData("0 9 * * MON-FRI", "Europe/Berlin", "2026-11-28T10:00:00Z", "2026-11-30T08:00:00Z")]
    [InlineData("0 12 1 * MON", "UTC", "2026-11-29T10:00:00Z", "2026-11-30T12:00:00Z")]
    [InlineData("0 0 1 JAN *", "UTC", "2026-11-29T10:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("@weekly", "UTC", "2026-11-29T10:00:00Z", "2026-12-06T00:00:00Z")]
    [InlineData("@hourly", "UTC", "2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z")]
    [InlineData("1-5/2 * * * *", "UTC", "2026-11-29T10:02:00Z", "2026-11-29T10:03:00Z")]
    [InlineData("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("0 0 * * 7", "UTC", "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z")]
    // Daylight saving time as Vixie cron: Berlin skips 02:00-03:00 on 29 March 2026 and repeats
    // 02:00-03:00 on 25 October 2026. A fixed-time job skipped in spring fires at the change, once:
    [InlineData("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z")]
    [InlineData("0,30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z")]
    // ... and a fixed time that happens twice fires at its first occurrence only
    [InlineData("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z")]
    [InlineData("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z")]
    [InlineData("30 1 * * *", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z")]
    // A wildcard job runs by the new time: skipped slots do not exist ...
    [InlineData("*/15 * * * *", "Europe/Berlin", "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z")]
    [InlineData("30 * * * *", "Europe/Berlin", "2026-03-29T00:45:00Z", "2026-03-29T01:30:00Z")]
    // ... and its slots in the repeated hour fire in both occurrences
    [InlineData("*/15 * * * *", "Europe/Berlin", "2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z")]
    [InlineData("*/15 * * * *", "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z")]
    [InlineData("@hourly", "Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T00:00:00Z")]
    [InlineData("@hourly", "Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z")]
    [InlineData("@hourly", "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z")]
    public async Task The_next_slot_follows_cron_rules(string cron, string timezone, string after, string expected)
    {
        var next = await _rt.ScalarAsync<DateTime>("select agent_runtime._cron_next($1, $2, $3::timestamptz)", cron, timezone, after);

        Assert.Equal(DateTime.Parse(expected, null, System.Globalization.DateTimeStyles.AdjustToUniversal), next);
    }
}
