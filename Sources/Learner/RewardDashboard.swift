// The dashboard's reward-component section: a table of each component's mean, recent mean,
// failure rate and failures by kind (from `/status`), and a chart of the per-step means
// (from `/history`). Shown only when the task has a composite reward.

enum RewardDashboard {
    static let section = """
    <section class="wide" id="rewards" hidden><h2>Reward components</h2><svg id="c-rew" data-chart="rewardComponents"></svg>
    <div class="legend" id="l-rew"></div><table id="components"><thead><tr><th>component</th><th>mean</th><th>last step</th>
    <th>failed</th><th>failures by kind</th></tr></thead><tbody></tbody></table></section>
    """

    /// Defines `drawRewardComponents(status)`; needs the page's `$`, `history` and `lineChart`.
    static let script = """
    function drawRewardComponents(status) {
      const comps = status.rewardComponents || [];
      $("rewards").hidden = comps.length === 0;
      if (!comps.length) return;
      const pct = x => (100 * x).toFixed(1) + " %", num = x => x == null ? "–" : x.toFixed(3);
      $("components").tBodies[0].innerHTML = comps.map(c => `<tr class="component"><td>${c.component}</td><td>${num(c.mean)}</td>` +
        `<td>${num(c.recentMean)}</td><td>${pct(c.failureRate)}</td><td>` +
        (Object.entries(c.failures).map(([k, n]) => `${k}: ${n}`).join(", ") || "none") + `</td></tr>`).join("");
      lineChart($("c-rew"), $("l-rew"), comps.map(c => ({ name: c.component,
        points: history.filter(p => p.rewardComponents && p.rewardComponents[c.component] != null)
                       .map(p => [p.groupsTrained, p.rewardComponents[c.component]]) })));
    }
    """
}
